/*
 * rules.c: the table of rules (nflogmon.h "rules.c") and the one place
 * where a class's threshold falls back to its section's.  Everything that
 * names, configures, counts, prints or saves a rule reads this table, so a
 * new rule is a row of RULES_COUNTED and nothing else here.
 */
#include <string.h>

#include "nflogmon.h"

#define RULE_DEF_(tab, id, nm, cnt, knd, flg, sec, n, w, wh)		\
	[RULE_##id] = { #nm, tab, cnt, knd, flg, #sec,			\
	    { n, (int64_t)(w) * US_PER_S, false }, wh },
#define RULE_SRC_(...)	RULE_DEF_(TABLE_SOURCES, __VA_ARGS__)
#define RULE_ACC_(...)	RULE_DEF_(TABLE_ACCOUNTS, __VA_ARGS__)

const struct rule_def rule_defs[RULE_MAX] = {
	[RULE_NONE] = { "none", TABLE_SOURCES, RULE_NOT_COUNTED, 0, 0, NULL,
	    { 0, 0, true }, NULL },
	RULES_SOURCES(RULE_SRC_)
	RULES_ACCOUNTS(RULE_ACC_)
	[RULE_MANUAL] = { "manual", TABLE_SOURCES, RULE_NOT_COUNTED, 0, 0,
	    NULL, { 0, 0, true }, NULL },
	/* not a strike, never published: the fleet's decision */
	[RULE_FLEET] = { "fleet", TABLE_SOURCES, RULE_NOT_COUNTED, 0, 0,
	    NULL, { 0, 0, true }, NULL },
};

#undef RULE_DEF_
#undef RULE_SRC_
#undef RULE_ACC_

enum rule_table
rule_table_of(const struct key *k)
{
	return k->kind == KEY_ACCOUNT ? TABLE_ACCOUNTS : TABLE_SOURCES;
}

const char *
rule_name(enum rule r)
{
	if ((unsigned)r >= RULE_MAX)
		return "unknown";
	return rule_defs[r].name;
}

int
rule_from_name(const char *name)
{
	int r;

	for (r = 1; r < RULE_MAX; r++)
		if (strcmp(rule_defs[r].name, name) == 0)
			return r;
	return -1;
}

static const struct conf_class *
rule_class(const struct conf *c, int cls)
{
	return cls >= 0 && cls < c->nclasses ? &c->classes[cls] : NULL;
}

const struct rate *
rule_rate(const struct conf *c, int cls, enum rule r)
{
	const struct conf_class *k = rule_class(c, cls);
	static const struct rate off = { 0, 0, true };

	if (!RULE_COUNTED(r))
		return &off;
	/* classes are of packet sources only */
	return k != NULL && k->has_rate[r] && rule_defs[r].table ==
	    TABLE_SOURCES ? &k->rate[r] : &c->rate[r];
}

enum response
rule_response(const struct conf *c, int cls)
{
	const struct conf_class *k = rule_class(c, cls);

	return k != NULL && k->has_response ? k->response : c->response;
}

const struct rate *
rule_throttle_rate(const struct conf *c, int cls)
{
	const struct conf_class *k = rule_class(c, cls);

	return k != NULL && k->has_throttle_rate ? &k->throttle_rate :
	    &c->throttle_rate;
}
