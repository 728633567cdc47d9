/*
 * inputs.c: the daemon's inputs and the one sink their events go to.
 * Opens each input the config asks for (the NFLOG groups, the policy
 * service; soon a followed mail log), puts its fd in the loop, and feeds
 * what it reads to the engine in batches; each verdict goes to the act
 * path (act_verdict).  The inputs know neither the engine nor the
 * daemon, so nothing flows back from here into capture.
 */
#include <poll.h>
#include <string.h>

#include "daemon.h"

/* The daemon whose inputs these are (one per process). */
static struct daemon *inputs_d;

/* The sink: the engine, then the verdict path, ENGINE_BATCH at a time. */
static void
inputs_put(void *arg, const struct event *ev, size_t n)
{
	struct daemon *d = arg;
	struct verdict v[ENGINE_BATCH];
	size_t i, j, k, nv;

	for (i = 0; i < n; i += k) {
		k = n - i < ENGINE_BATCH ? n - i : ENGINE_BATCH;
		nv = engine_feed_batch(d->engine, ev + i, k, v);
		for (j = 0; j < nv; j++) {
			/* a judged account's login outlives the tables */
			names_pin(&v[j].key);
			act_verdict(d, &v[j]);
		}
	}
}

/* Whether a key is blocked now, for the policy service's answer: a block
 * record that is enforced as a block (a dry run's record is not). */
static bool
inputs_blocked(void *arg, const struct key *k)
{
	struct daemon *d = arg;
	const struct block *b = blocks_find(d->blocks, k);

	return b != NULL && b->action == ACT_BLOCK;
}

static void
inputs_ready(int fd, short revents, void *arg)
{
	struct input *in = arg;

	(void)fd;
	(void)revents;
	(void)in->ops->read(in, &inputs_d->sink);
}

static int
inputs_add(struct daemon *d, struct input *in, char *err, size_t errlen)
{
	if (d->ninputs == DAEMON_MAX_INPUTS ||
	    loop_add(in->fd, POLLIN, inputs_ready, in) == -1) {
		snprintf(err, errlen, "no loop slot for an input");
		in->ops->close(in);
		return -1;
	}
	d->inputs[d->ninputs++] = in;
	return 0;
}

int
inputs_open(struct daemon *d, char *err, size_t errlen)
{
	const struct conf *c = d->conf;
	struct input *in;

	inputs_d = d;
	d->sink.put = inputs_put;
	d->sink.arg = d;
	d->sink.blocked = inputs_blocked;
	d->ninputs = 0;
	if (c->forward_group != CONF_GROUP_OFF) {
		if ((in = input_nflog_open(c, c->forward_group, INPUT_FORWARD,
		    err, errlen)) == NULL || inputs_add(d, in, err,
		    errlen) == -1)
			goto fail;
	}
	if (c->output_group != CONF_GROUP_OFF) {
		if ((in = input_nflog_open(c, c->output_group, INPUT_OUTPUT,
		    err, errlen)) == NULL || inputs_add(d, in, err,
		    errlen) == -1)
			goto fail;
	}
	if (c->policy_listen[0] != '\0') {
		if ((in = input_policy_open(c, err, errlen)) == NULL ||
		    inputs_add(d, in, err, errlen) == -1)
			goto fail;
	}
	if (c->maillog[0] != '\0') {
		/* The daemon reopens it as its user after each rotation. */
		if (input_maillog_check_user(c, c->maillog, err,
		    errlen) == -1 || (in = input_maillog_follow(c, err,
		    errlen)) == NULL || inputs_add(d, in, err, errlen) == -1)
			goto fail;
	}
	if (d->ninputs == 0)
		log_warnx("forward_group and output_group are both off: "
		    "nothing is captured");
	return 0;
fail:
	inputs_close(d);
	return -1;
}

void
inputs_reconf(struct daemon *d, const struct conf *c)
{
	int i;

	for (i = 0; i < d->ninputs; i++)
		if (d->inputs[i]->ops->reconf != NULL)
			d->inputs[i]->ops->reconf(d->inputs[i], c);
}

void
inputs_close(struct daemon *d)
{
	int i;

	for (i = 0; i < d->ninputs; i++) {
		loop_del(d->inputs[i]->fd);
		d->inputs[i]->ops->close(d->inputs[i]);
	}
	d->ninputs = 0;
}

void
inputs_stats(const struct daemon *d, int i, struct input_stats *st)
{
	memset(st, 0, sizeof(*st));
	d->inputs[i]->ops->stats(d->inputs[i], st);
}

/* The records, ignored and malformed of every input together. */
void
inputs_total(const struct daemon *d, struct input_stats *sum)
{
	struct input_stats one;
	int i;

	memset(sum, 0, sizeof(*sum));
	sum->group = -1;
	for (i = 0; i < d->ninputs; i++) {
		inputs_stats(d, i, &one);
		sum->records += one.records;
		sum->events += one.events;
		sum->ignored += one.ignored;
		sum->malformed += one.malformed;
	}
}
