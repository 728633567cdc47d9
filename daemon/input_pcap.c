/*
 * input_pcap.c: one capture file as an input of replay (pcap or pcapng,
 * the link types pkt.c decodes).  Each record goes through the same
 * decoder and classifier as live capture (pkt_decode_link, pkt_event);
 * its timestamp is the event's time.  Untrusted bytes: a record whose
 * time cannot be a time is malformed and yields no event.
 *
 * Bad input is refused at open with one line "nflogmon: FILE: reason"; a
 * read error in the middle (a truncated last record) is reported the same
 * way, and read returns -1 as at the end.
 *
 * libpcap opens every capture (so it alone decides what a capture is), but
 * the records of a plain pcap file (a regular file, version 2.4,
 * microseconds, this host's byte order) are read here straight from a
 * large buffer: libpcap copies each record out of stdio with two freads,
 * which costs as much as the rest of replay's work per packet.  Only a
 * record that is plainly whole and within the snapshot length is read
 * here; at the first other (a truncated last record, an oversized one) or
 * on a read error, libpcap takes over at that record's offset, so such
 * records are handled and reported exactly as libpcap does.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nflogmon.h"

#define REPLAY_IOBUF	(64 * 1024)	/* stdio buffer of a capture */
#define DIRECT_BUF	(1024 * 1024)	/* the direct reader's buffer */
#define DIRECT_MAXCAP	65535		/* larger records: libpcap's */
#define PCAP_FILEHDR	24		/* a pcap file's header */
#define PCAP_RECHDR	16		/* a record's header */
#define PCAP_MAGIC_US	0xa1b2c3d4u	/* microseconds, as read natively */

/*
 * One open capture.  Invariant: while !done, h and data are the file's
 * next record, not yet read (libpcap keeps them valid until the next
 * pcap_next_ex on this handle).
 */
struct pcap_in {
	struct input		 in;
	const struct conf	*conf;
	const char		*path;
	pcap_t			*p;
	int			 link;		/* LINK_* */
	struct pcap_pkthdr	*h;
	const u_char		*data;
	bool			 done;
	bool			 failed;	/* a read error was reported */
	char			*iobuf;		/* fp's stdio buffer */
	struct input_stats	 st;

	/* The direct reader (dbuf != NULL): file bytes [doff, doff + dlen)
	 * are in dbuf, dpos of them consumed. */
	FILE			*fp;
	int			 fd;
	uint8_t			*dbuf;
	size_t			 dpos, dlen;
	off_t			 doff;
	uint32_t		 snaplen;	/* pcap_snapshot */
	struct pcap_pkthdr	 dh;		/* the record h points to */
};

/* The LINK_* value of an open capture: pcap_datalink gives DLT_ values,
 * which equal the file's LINKTYPE_ values except DLT_RAW (12 on Linux,
 * 14 on OpenBSD) for LINKTYPE_RAW (101). */
static int
pcap_in_link(pcap_t *p)
{
	int dlt = pcap_datalink(p);

	return dlt == DLT_RAW ? LINK_RAW : dlt;
}

/*
 * Sets up the direct reader when the capture is a plain pcap file (see
 * the top); otherwise, or when out of memory, libpcap reads every record.
 */
static void
direct_open(struct pcap_in *in)
{
	struct stat st;
	uint32_t magic;
	uint16_t ver[2];
	uint8_t fh[PCAP_FILEHDR];
	int fd = fileno(in->fp);

	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    pread(fd, fh, sizeof(fh), 0) != (ssize_t)sizeof(fh))
		return;
	memcpy(&magic, fh, sizeof(magic));
	memcpy(ver, fh + 4, sizeof(ver));
	if (magic != PCAP_MAGIC_US || ver[0] != 2 || ver[1] != 4 ||
	    pcap_snapshot(in->p) <= 0)
		return;
	if ((in->dbuf = malloc(DIRECT_BUF)) == NULL)
		return;
	in->fd = fd;
	in->doff = PCAP_FILEHDR;
	in->dpos = in->dlen = 0;
	in->snaplen = (uint32_t)pcap_snapshot(in->p);
}

/* Hands the rest of the file to libpcap, from the record at the current
 * position on.  0, or -1 when fp cannot be positioned there. */
static int
direct_stop(struct pcap_in *in)
{
	off_t at = in->doff + (off_t)in->dpos;

	free(in->dbuf);
	in->dbuf = NULL;
	if (fseeko(in->fp, at, SEEK_SET) != 0) {
		fprintf(stderr, "nflogmon: %s: %s; the records before it are "
		    "replayed\n", in->path, strerror(errno));
		return -1;
	}
	return 0;
}

/* At least want bytes from dpos on in dbuf unless the file ends first. */
static void
direct_fill(struct pcap_in *in, size_t want)
{
	ssize_t r;

	if (in->dlen - in->dpos >= want)
		return;
	memmove(in->dbuf, in->dbuf + in->dpos, in->dlen - in->dpos);
	in->doff += (off_t)in->dpos;
	in->dlen -= in->dpos;
	in->dpos = 0;
	while (in->dlen < want) {
		r = pread(in->fd, in->dbuf + in->dlen, DIRECT_BUF - in->dlen,
		    in->doff + (off_t)in->dlen);
		if (r <= 0)
			break;	/* the end, or an error: libpcap's to report */
		in->dlen += (size_t)r;
	}
}

/*
 * The next record through the buffer: 1 when read into h and data, 0
 * when it is not one to read here (or at the end: libpcap then says so).
 * The header's fields as libpcap gives them: the 32-bit time fields are
 * signed.
 */
static int
direct_next(struct pcap_in *in)
{
	const uint8_t *r;
	int32_t sec, usec;
	uint32_t caplen, len;

	direct_fill(in, PCAP_RECHDR + DIRECT_MAXCAP);
	if (in->dlen - in->dpos < PCAP_RECHDR)
		return 0;
	r = in->dbuf + in->dpos;
	memcpy(&sec, r, 4);
	memcpy(&usec, r + 4, 4);
	memcpy(&caplen, r + 8, 4);
	memcpy(&len, r + 12, 4);
	if (caplen > in->snaplen || caplen > DIRECT_MAXCAP ||
	    in->dlen - in->dpos - PCAP_RECHDR < caplen)
		return 0;
	in->dh.ts.tv_sec = sec;
	in->dh.ts.tv_usec = usec;
	in->dh.caplen = caplen;
	in->dh.len = len;
	in->h = &in->dh;
	in->data = r + PCAP_RECHDR;
	in->dpos += PCAP_RECHDR + caplen;
	return 1;
}

/* Opens path into in; prints the one-line reason and returns -1 on error. */
static int
pcap_in_file(struct pcap_in *in, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct stat st;
	FILE *fp;
	const char *lname;

	memset(in, 0, sizeof(*in));
	in->path = path;
	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "nflogmon: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(fp), &st) == 0 && (S_ISDIR(st.st_mode) ||
	    (S_ISREG(st.st_mode) && st.st_size == 0))) {
		fprintf(stderr, "nflogmon: %s: %s\n", path,
		    S_ISDIR(st.st_mode) ? "is a directory" :
		    "empty file, not a capture");
		fclose(fp);
		return -1;
	}
	/*
	 * libpcap reads a record with two small freads: a large buffer makes
	 * one read(2) serve a thousand records, and since only this thread
	 * ever touches fp, stdio need not lock it on every fread.
	 */
	if ((in->iobuf = malloc(REPLAY_IOBUF)) != NULL &&
	    setvbuf(fp, in->iobuf, _IOFBF, REPLAY_IOBUF) != 0) {
		free(in->iobuf);
		in->iobuf = NULL;
	}
	__fsetlocking(fp, FSETLOCKING_BYCALLER);
	errbuf[0] = '\0';
	/* On success the pcap_t owns fp; on failure we still do. */
	if ((in->p = pcap_fopen_offline(fp, errbuf)) == NULL) {
		fprintf(stderr, "nflogmon: %s: not a pcap or pcapng capture "
		    "(%s)\n", path, errbuf);
		fclose(fp);
		free(in->iobuf);
		in->iobuf = NULL;
		return -1;
	}
	in->link = pcap_in_link(in->p);
	if (!pkt_linktype_supported(in->link)) {
		lname = pcap_datalink_val_to_name(pcap_datalink(in->p));
		fprintf(stderr, "nflogmon: %s: unsupported link type %d (%s)\n",
		    path, pcap_datalink(in->p), lname ? lname : "unknown");
		pcap_close(in->p);
		in->p = NULL;
		free(in->iobuf);
		in->iobuf = NULL;
		return -1;
	}
	in->fp = fp;
	direct_open(in);
	return 0;
}

/* Reads the next record of in; at the end or on an error marks it done.
 * Returns -1 after reporting a read error (e.g. a truncated record). */
static int
pcap_in_next(struct pcap_in *in)
{
	int rc;

	if (in->done)
		return 0;
	if (in->dbuf != NULL) {
		if (direct_next(in))
			return 0;
		if (direct_stop(in) != 0) {
			in->done = true;
			return -1;
		}
	}
	rc = pcap_next_ex(in->p, &in->h, &in->data);
	if (rc == 1)
		return 0;
	in->done = true;
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	fprintf(stderr, "nflogmon: %s: %s; the records before it are "
	    "replayed\n", in->path, pcap_geterr(in->p));
	return -1;
}

/* The latest record time replay believes: the end of the year 9999. */
#define REPLAY_MAX_S	253402300799LL

/*
 * A record's time in microseconds, or -1 when it cannot be a time: a
 * pcapng timestamp is 64 bits of any unit plus an offset, so tv_sec may be
 * anything, and seconds times 10^6 would overflow.  Such a record is
 * counted as malformed and does not move the clock.
 */
static int64_t
rec_time_us(const struct pcap_pkthdr *h)
{
	if (h->ts.tv_sec < 0 || h->ts.tv_sec > REPLAY_MAX_S ||
	    h->ts.tv_usec < 0 || h->ts.tv_usec >= US_PER_S)
		return -1;
	return (int64_t)h->ts.tv_sec * US_PER_S + (int64_t)h->ts.tv_usec;
}

static int
pcap_in_read(struct input *i, const struct event_sink *sink)
{
	struct pcap_in *in = i->priv;
	struct event ev;
	struct pkt p;
	int64_t t;
	enum pkt_result r;

	if (in->done)
		return -1;
	in->st.records++;
	memset(&p, 0, sizeof(p));
	if ((t = rec_time_us(in->h)) < 0)	/* a time we cannot believe */
		r = PKT_MALFORMED;
	else
		r = pkt_event(in->conf, &p, pkt_decode_link(in->link, in->data,
		    in->h->caplen, &p), t, &ev);
	if (r == PKT_OK) {
		in->st.events++;
		sink->put(sink->arg, &ev, 1);
	} else if (r == PKT_IGNORED)
		in->st.ignored++;
	else
		in->st.malformed++;
	if (pcap_in_next(in) != 0)
		in->failed = true;
	return 1;
}

static void
pcap_in_stats(const struct input *i, struct input_stats *st)
{
	const struct pcap_in *in = i->priv;

	*st = in->st;
}

static void
pcap_in_close(struct input *i)
{
	struct pcap_in *in = i->priv;

	if (in->p != NULL)
		pcap_close(in->p);
	free(in->dbuf);
	free(in->iobuf);
	free(in);
}

static const struct input_ops pcap_in_ops = {
	.name = "pcap",
	.read = pcap_in_read,
	.stats = pcap_in_stats,
	.close = pcap_in_close,
};

struct input *
input_pcap_open(const char *path, const struct conf *conf)
{
	struct pcap_in *in;

	if ((in = calloc(1, sizeof(*in))) == NULL) {
		fprintf(stderr, "nflogmon: %s: out of memory\n", path);
		return NULL;
	}
	if (pcap_in_file(in, path) == -1) {
		free(in);
		return NULL;
	}
	in->conf = conf;
	in->in.ops = &pcap_in_ops;
	in->in.fd = -1;
	in->in.priv = in;
	in->st.kind = INPUT_FORWARD;
	in->st.unit = "packets";
	in->st.group = -1;
	if (pcap_in_next(in) != 0)
		in->failed = true;
	return &in->in;
}

int64_t
input_pcap_next_us(const struct input *i)
{
	const struct pcap_in *in = i->priv;
	int64_t t;

	if (in->done)
		return INT64_MAX;
	return (t = rec_time_us(in->h)) < 0 ? INT64_MIN : t;
}

/* Whether a read error was reported (the records before it were read). */
bool
input_pcap_failed(const struct input *i)
{
	return ((const struct pcap_in *)i->priv)->failed;
}
