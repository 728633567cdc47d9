/*
 * nflogmon.h: the map of the program.
 *
 * A SYN flows one way: bytes (NFLOG message or pcap record) -> pkt_decode
 * -> struct pkt -> engine_feed (key, source table, windows, policy) ->
 * struct verdict -> backend / hook / log / state.  Each section below is one
 * file (or one small group of files) with one job.  The engine sections are
 * pure: they never read a clock, never allocate per packet, never do I/O.
 *
 * Time: the engine clock is int64_t microseconds (`_us`).  Live capture uses
 * CLOCK_MONOTONIC; replay uses packet timestamps (Unix time).  Wall-clock
 * times that leave the program (JSON, state file, status) are converted at
 * the edge.
 */
#ifndef NFLOGMON_H
#define NFLOGMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NFLOGMON_VERSION	"1.0.0"
#define NFLOGMON_CONF		"/etc/nflogmon/nflogmon.conf"

#define US_PER_S		1000000LL
/* A duration or expiry that never ends ("permanent"). */
#define DURATION_PERMANENT	INT64_MAX

/* Exit statuses of the command line (DESIGN.md "Command line"). */
#define EXIT_OK			0
#define EXIT_ERR		1
#define EXIT_USAGE		2
#define EXIT_NODAEMON		3

/* ---------------------------------------------------------------- log.c */
/*
 * OpenBSD-style logging: stderr in the foreground (or before log_init),
 * syslog(LOG_DAEMON) otherwise.  log_warn appends strerror(errno); every
 * function preserves errno.
 */
void	log_init(const char *progname, bool foreground, bool debug);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	vlog(int pri, const char *, va_list) __attribute__((format(printf, 2, 0)));

/* ---------------------------------------------------------------- mem.c */
void	mem_hugepages(void *, size_t);	/* a big array: huge pages, a hint */

/* ------------------------------------------------------ addresses, keys */
/*
 * An address of either family: IPv4 lives in the first 4 bytes of b[].
 * family is AF_INET or AF_INET6.
 */
struct addr {
	uint8_t		family;
	uint8_t		b[16];
};

/*
 * What a source is counted as (DESIGN.md "Keys"): an IPv4 address, an IPv6
 * prefix (plen bits, host bits zero; plen 128 for an allowlisted IPv6
 * address) or a local uid.  Compared and hashed as raw bytes: every unused
 * byte is zero.
 */
enum key_kind {
	KEY_NONE = 0,
	KEY_V4,
	KEY_V6,
	KEY_UID,
	KEY_ACCOUNT,	/* a SASL login (DESIGN.md "Account rules") */
};

struct key {
	uint8_t		kind;		/* enum key_kind */
	uint8_t		plen;		/* 32 for v4, prefix bits for v6, 0 uid */
	uint8_t		client;		/* 1: an account's client address
					   (block_clients), its own sets */
	uint8_t		pad;
	uint32_t	uid;		/* KEY_UID only */
	uint8_t		addr[16];	/* v4 in addr[0..3] */
};

#define ACCOUNT_MAX	255	/* bytes of a login */
#define KEY_STRLEN	272	/* "account:" and 255 bytes; "ffff:...:ffff/128" */

/* key.c */
void	key_from_addr(struct key *, const struct addr *, int ipv6_prefix);
void	key_from_uid(struct key *, uint32_t uid);
/*
 * An account key from a login as the MTA reports it: lower-cased, 1-255
 * bytes of 0x21-0x7e, else -1 (malformed, never a key).  The key holds a
 * 128-bit hash of the name (names.c keeps the name for printing), so a
 * login costs a packet source's bytes in every table.
 */
int	key_from_account(struct key *, const char *login, size_t len);
/* The key of a client address of an account (block_clients): the
 * address's key marked client, printed "client:ADDR". */
void	key_client(struct key *, const struct addr *, int ipv6_prefix);
/* Masks an address to its key's length: a /ipv6_prefix for IPv6 (the
 * value an account's clients rule counts distinct). */
void	addr_aggregate(struct addr *, int ipv6_prefix);

/* names.c: the login behind each account key, for printing (bounded). */
void	names_init(const uint8_t key[32]);	/* the daemon: random */
void	names_hash(const char *name, size_t len, uint8_t out[16]);
void	names_put(const uint8_t h[16], const char *name, size_t len,
	    bool pin);
/* Keeps the name of k through sweeps (a block, a parsed SOURCE). */
void	names_pin(const struct key *);
const char *names_get(const struct key *);	/* NULL: not known */
/* Inline: the source table compares keys on every packet. */
static inline bool
key_equal(const struct key *a, const struct key *b)
{
	return __builtin_memcmp(a, b, sizeof(*a)) == 0;
}
/*
 * An unkeyed hash of k for the daemon's own tables (blocks, the kernel's
 * keys at start), whose keys the daemon chose, not the packets' senders
 * alone: the murmur3 finalizer over each of the key's three words (all-zero
 * padded), so every key bit reaches the low bits a mask keeps, in a few
 * multiplies (a start hashes a million keys).  The source table uses the
 * keyed hash_key.
 */
static inline uint64_t
key_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}
static inline uint64_t
key_hash_unkeyed(const struct key *k)
{
	uint64_t w[3];

	_Static_assert(sizeof(*k) == sizeof(w), "a key is three words");
	__builtin_memcpy(w, k, sizeof(w));
	return key_mix64(key_mix64(key_mix64(w[0]) ^ w[1]) ^ w[2]);
}
/* "192.0.2.7", "2001:db8:1:2::/64", "2001:db8::25/128", "uid:1001": always
 * with the length for IPv6, so what is printed parses back to the same key */
char   *key_format(const struct key *, char *buf, size_t len);
/*
 * Parses a SOURCE of the command line or state file: an address, an IPv6
 * prefix or "uid:N".  A bare IPv6 address stands for its ipv6_prefix.
 * Returns 0, or -1 with a reason in err.
 */
int	key_parse(const char *, int ipv6_prefix, struct key *,
	    char *err, size_t errlen);

/* ---------------------------------------------------------------- pkt.c */
/*
 * Decoding of untrusted bytes, layer by layer, for NFLOG, pcap and the fuzz
 * targets alike.  Pure; never reads past len; never trusts a length field.
 */
enum pkt_result {
	PKT_OK = 0,		/* an IPv4/IPv6 TCP segment, fields valid */
	PKT_IGNORED,		/* decodes, but is not TCP over IP */
	PKT_MALFORMED,		/* does not decode (incl. TCP header cut off) */
};

#define PKT_GROUP_NONE	(-1)

#define TCP_FIN		0x01
#define TCP_SYN		0x02
#define TCP_RST		0x04
#define TCP_ACK		0x10

struct pkt {
	struct addr	src;
	struct addr	dst;
	uint16_t	sport;		/* host order */
	uint16_t	dport;		/* host order */
	uint8_t		tcp_flags;
	bool		has_uid;
	uint32_t	uid;
	int32_t		group;		/* NFLOG group, or PKT_GROUP_NONE */
};

/* Link-layer types replay understands (DLT_ values of pcap). */
#define LINK_ETHERNET	1
#define LINK_RAW	101
#define LINK_LINUX_SLL	113
#define LINK_IPV4	228
#define LINK_IPV6	229
#define LINK_NFLOG	239
#define LINK_LINUX_SLL2	276

/* Decodes an IP packet starting at the IP header.  Does not touch
 * group/has_uid/uid. */
enum pkt_result	pkt_decode_ip(const uint8_t *, size_t, struct pkt *);
/* Decodes a whole link-layer frame of the given LINK_* type; for
 * LINK_NFLOG also fills group and uid from the TLVs.  An unknown link type
 * is PKT_MALFORMED (replay rejects unknown types before decoding). */
enum pkt_result	pkt_decode_link(int linktype, const uint8_t *, size_t,
		    struct pkt *);
bool		pkt_linktype_supported(int linktype);

/* ------------------------------------------------- parse.c, netset.c */
/* A rate N/W; off when disabled ("off"). */
struct rate {
	uint32_t	n;
	int64_t		w_us;
	bool		off;
};

/* parse.c: the value syntaxes of DESIGN.md; 0 on success, -1 otherwise. */
int	parse_duration(const char *, int64_t *us);	/* DURATION_PERMANENT */
int	parse_rate(const char *, struct rate *, bool allow_off);
int	parse_prefix(const char *, struct addr *, int *plen);
char   *fmt_duration(int64_t us, char *buf, size_t len);  /* "1h", "permanent" */
char   *fmt_rate(const struct rate *, char *buf, size_t len);
/* One hex digit's value, or -1. */
int	parse_hexdigit(char c);
/* in[n] as lower-case hex digits, cut to fit len; buf. */
char	*fmt_hex(const uint8_t *in, size_t n, char *buf, size_t len);
/* Exactly 2n hex digits (either case) into out[n]; 0 or -1. */
int	parse_hex(const char *, uint8_t *out, size_t n);
/* parse_prefix with the reason ("host bits set in ...") in err. */
int	parse_prefix_err(const char *, struct addr *, int *plen,
	    char *err, size_t errlen);

/*
 * netset.c: a set of IPv4/IPv6 prefixes, each with an int value; lookup
 * returns the value of the longest prefix containing an address.  Built at
 * config load; lookups are allocation-free and cost one hash probe per
 * distinct prefix length present.
 */
struct netset;
struct netset	*netset_new(void);
void		 netset_free(struct netset *);
int		 netset_add(struct netset *, const struct addr *, int plen,
		    int value);
int		 netset_lookup(const struct netset *, const struct addr *);
size_t		 netset_count(const struct netset *);
/* Values are >= 0; netset_lookup and netset_get return -1 for none.
 * netset_add fails with errno EEXIST for a prefix already present. */
int		 netset_get(const struct netset *, const struct addr *,
		    int plen);
void		 netset_foreach(const struct netset *,
		    void (*)(const struct addr *, int plen, int value, void *),
		    void *);

/* ----------------------------------------------------------- rules.c */
/*
 * The rules as data (DESIGN.md "Rules, precisely"): one row each, in
 * verdict order (when several trigger on one event the verdict names the
 * first).  RULES_COUNTED is the one list of the rules the engine counts;
 * the enum, the table of rules.c, the config keys of their section and of
 * [class NAME], the defaults, check-config, status, JSON, metrics and the
 * state are all made from it, so adding a rule is adding a row here (and,
 * if it counts a new kind of thing, an event flag its input sets).
 *
 *   X(ID, name, counts, input kinds, event flags, section, N, W_s, what)
 *
 * counts: RULE_EVENTS sums the events' counts over W; RULE_DISTINCT
 * counts distinct event values over W (at most one such rule per table).
 * A rule counts an event whose input kind is among its kinds and whose
 * flags include all of its flags.
 */
#define RULES_SOURCES(X)						\
	X(BURST, burst, RULE_EVENTS, INPUT_PACKETS, 0, DETECT,		\
	    20, 60, "new connections")					\
	X(SUSTAINED, sustained, RULE_EVENTS, INPUT_PACKETS, 0, DETECT,	\
	    120, 3600, "new connections")				\
	X(FANOUT, fanout, RULE_DISTINCT, INPUT_PACKETS, 0, DETECT,	\
	    15, 600, "distinct destination addresses")
#define RULES_ACCOUNTS(X)						\
	X(CLIENTS, clients, RULE_DISTINCT, INPUT_ACCOUNTS, 0, ACCOUNTS,	\
	    5, 600, "distinct client addresses")			\
	X(RECIPIENTS, recipients, RULE_EVENTS, INPUT_ACCOUNTS, 0,	\
	    ACCOUNTS, 500, 3600, "recipients")				\
	X(FOREIGN_SENDERS, foreign_senders, RULE_EVENTS, INPUT_ACCOUNTS,	\
	    EVENT_MESSAGE | EVENT_FOREIGN, ACCOUNTS, 20, 3600,		\
	    "messages from a foreign sender domain")
#define RULES_COUNTED(X)	RULES_SOURCES(X) RULES_ACCOUNTS(X)

/*
 * The rules count in one of two bounded tables: packet sources (keyed by
 * address, prefix or uid: RULES_SOURCES, which classes may override) and
 * accounts (RULES_ACCOUNTS), so a flood of spoofed packet sources never
 * evicts an account.
 */
enum rule_table {
	TABLE_SOURCES = 0,
	TABLE_ACCOUNTS,
	TABLE_N,
};

/* Inputs and events (DESIGN.md "Inputs and events"). */
enum input_kind {
	INPUT_FORWARD = 0,	/* NFLOG forward group, or a capture */
	INPUT_OUTPUT,		/* NFLOG output group (UID when present) */
	INPUT_POLICY,		/* the MTA's policy requests */
	INPUT_MAILLOG,		/* mail log lines */
	INPUT_NKINDS,
};

#define INPUT_BIT(k)	(1u << (k))
#define INPUT_PACKETS	(INPUT_BIT(INPUT_FORWARD) | INPUT_BIT(INPUT_OUTPUT))
#define INPUT_ACCOUNTS	(INPUT_BIT(INPUT_POLICY) | INPUT_BIT(INPUT_MAILLOG))

enum rule_counts {
	RULE_EVENTS = 0,
	RULE_DISTINCT,
	RULE_NOT_COUNTED,	/* manual, ...: a block's rule, never counted */
};

#define RULE_ID_(id, ...)	RULE_##id,
enum rule {
	RULE_NONE = 0,
	RULES_COUNTED(RULE_ID_)
	RULE_MANUAL,		/* nflogmon block */
	RULE_FLEET,		/* a decision of the fleet (DESIGN.md "Fleet") */
	RULE_MAX,
};
#undef RULE_ID_
/* Counted rules are 1 .. RULE_LAST_COUNTED, in verdict order. */
#define RULE_LAST_COUNTED	(RULE_MANUAL - 1)
#define RULE_COUNTED(r)		((r) >= 1 && (r) <= RULE_LAST_COUNTED)

/* --------------------------------------------------------------- conf.c */
enum response {
	RESP_BLOCK = 0,
	RESP_THROTTLE,
};

enum backend_kind {
	BACKEND_IPSET = 0,
	BACKEND_NFT,
	BACKEND_NONE,
};

#define CONF_MAX_PORTS		64
#define CONF_MAX_ESCALATE	16
#define CONF_GROUP_OFF		(-1)
#define CONF_MAX_NEW_BLOCKS	1000000	/* max_new_blocks N */
#define CONF_MAX_IFACES		32	/* lan_interfaces */
#define CONF_IFNAMSIZ		16	/* IFNAMSIZ: 15 bytes and the NUL */
#define MTA_POLICY_LISTEN_MAX	128	/* [mta] policy_listen */
#define MTA_POLICY_REPLY_MAX	512	/* [mta] policy_reply */

/* A list of strings of the config (domains, logins). */
struct strlist {
	char		**v;
	int		 n;
};

struct conf_class {
	char		 name[64];
	bool		 has_rate[RULE_MAX];	/* by counted rule */
	bool		 has_response, has_throttle_rate;
	struct rate	 rate[RULE_MAX];
	enum response	 response;
	struct rate	 throttle_rate;
};

/*
 * The effective configuration (DESIGN.md "Configuration and defaults").
 * Immutable once loaded: a reload builds a new one and swaps it in.
 */
#define CONF_URL_MAX		512	/* [fleet] lapi_url */
#define CONF_SECRET_MAX		256	/* a password or bouncer key */

struct conf {
	char		 path[4096];
	bool		 defaults;	/* no file: built-in defaults */

	/* [daemon] */
	char		 control_socket[108];
	char		 socket_group[64];	/* "" none */
	char		 admin_group[64];
	char		 state_file[4096];
	char		 user[64];
	char		 metrics_file[4096];

	/* [capture] */
	int		 forward_group;		/* CONF_GROUP_OFF */
	int		 output_group;
	uint16_t	 ports[CONF_MAX_PORTS];
	int		 nports;
	int		 ipv6_prefix;
	uint32_t	 max_sources;
	/* Interfaces facing the LAN (ruleset.c): none, no forward rule. */
	char		 lan_interfaces[CONF_MAX_IFACES][CONF_IFNAMSIZ];
	int		 nlan_interfaces;
	bool		 log_allowed;	/* the ruleset logs allowlisted sources */

	/* the thresholds of the counted rules, by rule id ([detect]) */
	struct rate	 rate[RULE_MAX];

	/* [block] */
	enum backend_kind backend;
	bool		 create_sets;
	char		 ipset_name[32];
	uint32_t	 ipset_maxelem;
	char		 nft_family[16];	/* "inet" */
	char		 nft_table[64];		/* "nflogmon" */
	int64_t		 timeout_us;
	int64_t		 escalate_us[CONF_MAX_ESCALATE];
	int		 nescalate;
	int64_t		 strike_memory_us;
	struct rate	 max_new_blocks;
	bool		 dry_run;
	enum response	 response;
	struct rate	 throttle_rate;
	char		 hook[4096];		/* "" none */
	int64_t		 hook_timeout_us;

	/* [accounts] (the thresholds are in rate[]) */
	struct strlist	 sender_domains;	/* lower case */
	uint32_t	 max_accounts;
	bool		 block_clients;
	uint16_t	 submission_ports[CONF_MAX_PORTS];
	int		 nsubmission_ports;

	/* [mta] */
	char		 policy_listen[MTA_POLICY_LISTEN_MAX];	/* "" off */
	char		 policy_group[64];
	char		 policy_reply[MTA_POLICY_REPLY_MAX];
	char		 maillog[4096];		/* followed log; "" off */

	/* [allow] */
	struct strlist	 allow_accounts;	/* lower case, sorted */
	struct netset	*allow_src;		/* addresses and networks */
	uint32_t	*allow_uids;
	int		 nallow_uids;
	struct netset	*allow_dst;		/* smarthosts */

	/* [fleet] (fleet/; DESIGN.md "Fleet"); lapi_url "" is off.  The
	 * secrets are the files' contents, read at each load, never
	 * printed. */
	char		 fleet_lapi_url[CONF_URL_MAX];
	char		 fleet_ca_file[4096];
	char		 fleet_machine_id[128];
	char		 fleet_password_file[4096];
	char		 fleet_bouncer_key_file[4096];
	int64_t		 fleet_pull_interval_us;
	int64_t		 fleet_max_duration_us;
	struct rate	 fleet_max_new_blocks;
	char		 fleet_password[CONF_SECRET_MAX];
	char		 fleet_bouncer_key[CONF_SECRET_MAX];

	/* [class NAME]: value of class_nets is the index into classes */
	struct conf_class *classes;
	int		 nclasses;
	struct netset	*class_nets;
};

/* ipset names are at most 31 characters; the IPv6 set appends "6", the
 * clients sets of block_clients "-clients" and "-clients6". */
#define IPSET_NAME_MAX		30
#define IPSET_CLIENTS_NAME_MAX	22

/*
 * Loads path; on any error prints every error as "file:line: message" to
 * errs and returns NULL.  A NULL path means NFLOGMON_CONF, whose absence
 * yields the built-in defaults (conf->defaults set); an explicit path that
 * does not exist is an error.
 */
struct conf	*conf_load(const char *path, FILE *errs);
struct conf	*conf_defaults(void);
void		 conf_free(struct conf *);
void		 conf_print(const struct conf *, FILE *);	/* check-config */
bool		 conf_port_watched(const struct conf *, uint16_t port);
bool		 conf_uid_allowed(const struct conf *, uint32_t uid);
/* Whether a login (lower-cased, as in an account key) is allowlisted. */
bool		 conf_account_allowed(const struct conf *, const char *login);
/* Whether a sender domain (any case) is one of [accounts]
 * sender_domains. */
bool		 conf_sender_domain_ok(const struct conf *, const char *domain,
		    size_t len);
/* conf_load of an open stream; name is the file name of the messages. */
struct conf	*conf_load_stream(FILE *, const char *name, FILE *errs);
/* Prints "file: warning: ..." for settings that load but probably do not
 * do what the operator wants; returns their number. */
int		 conf_warnings(const struct conf *, FILE *);
/* A name the kernel accepts for an interface (and nft and iptables take
 * verbatim): 1..15 of letters, digits, '_', '-', '.', not "." or "..". */
bool		 conf_ifname_ok(const char *);

/* rules.c, continued: the table (the list is above struct conf). */
struct rule_def {
	const char	*name;
	enum rule_table	 table;
	enum rule_counts counts;
	unsigned	 kinds;		/* INPUT_BIT()s */
	unsigned	 flags;		/* EVENT_* all required */
	const char	*section;	/* config section of the threshold */
	struct rate	 def;		/* built-in default */
	const char	*what;		/* what is counted, for people */
};

extern const struct rule_def rule_defs[RULE_MAX];
/* "burst"...; "none" for RULE_NONE, "unknown" out of range. */
const char	*rule_name(enum rule);
/* The table of a key: accounts for account:NAME, else sources. */
enum rule_table	 rule_table_of(const struct key *);
/* The rule of a name (a block's: none excluded), -1 when there is none:
 * the one name -> id lookup (state, client). */
int		 rule_from_name(const char *);
/* The threshold of rule r for class cls (-1: none): the class's own, else
 * the section's.  The one place of that fallback. */
const struct rate *rule_rate(const struct conf *, int cls, enum rule);
enum response	 rule_response(const struct conf *, int cls);
const struct rate *rule_throttle_rate(const struct conf *, int cls);

/* ---------------------------------------------------------- events */
/*
 * What an input hands the engine: one event per counted occurrence.  The
 * input decides what counts and makes the key (it alone sees the packet's
 * own address, which the allowlist is matched against before aggregation,
 * and so sets EVENT_ALLOWED).  value is what a RULE_DISTINCT rule counts
 * distinct (a connection's destination address).  Unused bytes zero.
 */
#define EVENT_ALLOWED	0x01u	/* the key is allowlisted */
#define EVENT_MESSAGE	0x02u	/* first recipient of a message (account) */
#define EVENT_FOREIGN	0x04u	/* the message's sender domain is foreign */

struct event {
	int64_t		 t_us;		/* engine clock */
	struct key	 key;
	struct addr	 value;
	uint32_t	 count;		/* >= 1 */
	uint8_t		 kind;		/* enum input_kind */
	uint8_t		 flags;		/* EVENT_* */
};

/* input_pkt.c: what a decoded packet is to the rules (DESIGN.md "What
 * counts", "Keys"): PKT_OK with *ev filled for an event, else PKT_IGNORED
 * or PKT_MALFORMED.  Pure; the one classifier of NFLOG and replay. */
enum pkt_result	 pkt_event(const struct conf *, const struct pkt *,
		    enum pkt_result, int64_t t_us, struct event *ev);
const char	*input_kind_name(enum input_kind);

/* ------------------------------------------------------------ inputs */
/*
 * An input reads something (NFLOG groups, pcap files; soon the MTA's
 * policy requests and mail logs) and turns it into events for a sink.
 * One small interface: each input has its own open (its arguments differ),
 * then read, stats and close through struct input_ops; status and metrics
 * iterate over the inputs and know none of them.
 */
struct input_stats {
	enum input_kind	 kind;
	const char	*unit;		/* "packets", "requests", "lines" */
	uint64_t	 records;	/* = events + ignored + malformed */
	uint64_t	 events;
	uint64_t	 ignored;
	uint64_t	 malformed;
	int		 group;		/* NFLOG group; -1 for other inputs */
	uint64_t	 dropped;	/* NFLOG: messages known lost */
	uint64_t	 seq_gaps;
	uint64_t	 enobufs;
};

/* Where an input puts its events: the daemon's engine and act path, or
 * replay's.  Events are valid during the call only.  blocked: whether a
 * key is blocked now (the policy service answers by it; NULL: never). */
struct event_sink {
	void	(*put)(void *arg, const struct event *, size_t n);
	void	*arg;
	bool	(*blocked)(void *arg, const struct key *);
};

struct input;

struct input_ops {
	const char	*name;		/* "nflog", "pcap" */
	/* Reads what is ready (live) or the next record (replay) and hands
	 * its events to the sink.  1: read something; 0: nothing now; -1:
	 * the end (replay) or an error, reported. */
	int	(*read)(struct input *, const struct event_sink *);
	void	(*stats)(const struct input *, struct input_stats *);
	/* A reloaded config (SIGHUP); NULL: the input keeps none. */
	void	(*reconf)(struct input *, const struct conf *);
	void	(*close)(struct input *);
};

struct input {
	const struct input_ops *ops;
	int		 fd;		/* polled by the loop; -1: none */
	void		*priv;
};

/* input_pcap.c: one capture file of replay.  Opening prints the one-line
 * reason and returns NULL on error.  next_us: the time of the pending
 * record (INT64_MIN: a record with an impossible time, fed first and
 * counted malformed; INT64_MAX: none left). */
struct input	*input_pcap_open(const char *path, const struct conf *);
int64_t		 input_pcap_next_us(const struct input *);
/* Whether a read error was reported (the records before it were read). */
bool		 input_pcap_failed(const struct input *);

/* ------------------------------------------------------------- engine.c */
/*
 * The detection engine: window.c (bucketed counting), sources.c (bounded
 * table), policy.c (verdicts, strikes, breaker) glued by engine.c.  Pure:
 * the clock is an argument, nothing is allocated per event.  It takes
 * events only: it knows no packet, socket or log line.
 */
enum action {
	ACT_BLOCK = 0,
	ACT_THROTTLE,
	ACT_DRY_RUN,
	ACT_ALLOWED,
	ACT_BREAKER,
};

/* Distinct values a verdict lists: a packet source's recent destinations
 * (at most 8 of them), an account's last clients N + 1 client addresses
 * under block_clients (check-config warns beyond). */
#define VERDICT_MAX_DSTS	32

struct verdict {
	struct key	 key;
	enum rule	 rule;
	enum action	 action;
	uint32_t	 connections;		/* events' counts since afresh */
	uint32_t	 destinations;		/* distinct values in W */
	int64_t		 first_seen_us;		/* engine clock */
	int64_t		 at_us;			/* engine clock */
	int64_t		 timeout_us;		/* DURATION_PERMANENT; 0 for
						   allowed and breaker */
	int		 strike;		/* 0 for allowed and breaker */
	int		 cls;			/* class index, -1 none */
	struct rate	 throttle_rate;		/* ACT_THROTTLE */
	int		 ndsts;			/* recent distinct values */
	struct addr	 dsts[VERDICT_MAX_DSTS];
};

struct engine_stats {
	uint64_t	events;
	uint64_t	sources;	/* sources ever inserted */
	uint64_t	tracked;	/* sources in the table now */
	uint64_t	evicted;
	uint64_t	accounts;	/* the same of the account table */
	uint64_t	accounts_tracked;
	uint64_t	accounts_evicted;
	uint64_t	attempts;	/* events of sources under judgement */
	uint64_t	verdicts[ACT_BREAKER + 1];
};

/* One row of "top talkers": current (status) or peak (replay) counts. */
struct engine_talker {
	struct key	 key;
	uint32_t	 count[RULE_MAX];	/* by counted rule */
	uint32_t	 connections;
	int		 cls;
};

struct engine;
/* hashkey: 16 random bytes keying the source hash (tests pass fixed). */
struct engine	*engine_new(const struct conf *, const uint8_t hashkey[16]);
void		 engine_free(struct engine *);
/* Applies a new config keeping counters, judgements and strikes. */
int		 engine_reconf(struct engine *, const struct conf *);
/*
 * Feeds one event (its time is the clock).  Returns true and fills *v
 * when the event produced a verdict.
 */
bool		 engine_feed(struct engine *, const struct event *,
		    struct verdict *v);
/*
 * Feeds n events as n engine_feed calls in order would: faster when the
 * source table is larger than the cache.  v has room for n; returns the
 * number of verdicts, written to v[0..] in event order.
 */
#define ENGINE_BATCH	32
size_t		 engine_feed_batch(struct engine *, const struct event *,
		    size_t n, struct verdict *v);
/* Puts a source under judgement until until_us (a manual or restored
 * block), keeping attempts; creates the entry when needed.  0 or -1. */
int		 engine_judge(struct engine *, const struct key *,
		    int64_t until_us, uint32_t attempts);
/* Ends a judgement (unblock): the source is counted afresh.  */
void		 engine_release(struct engine *, const struct key *);
/* Events of a judged source since its judgement began (0 if unknown). */
uint32_t	 engine_attempts(const struct engine *, const struct key *);
/* Records a strike (restored from state) at at_us for the escalation. */
void		 engine_add_strike(struct engine *, const struct key *,
		    int64_t at_us);
/* Strikes of key within strike_memory counted back from now_us. */
int		 engine_strikes(const struct engine *, const struct key *,
		    int64_t now_us);
/* Iterates the strike history: calls fn for every remembered strike. */
void		 engine_foreach_strike(const struct engine *,
		    void (*fn)(const struct key *, int64_t at_us, void *),
		    void *arg);
void		 engine_stats(const struct engine *, struct engine_stats *);
/*
 * Fills up to max talkers, sorted by closeness to a threshold (highest
 * count/threshold ratio first).  peak: replay's peaks, else the counts in
 * the windows at now_us.  Returns the number filled.
 */
size_t		 engine_top(const struct engine *, struct engine_talker *,
		    size_t max, bool peak, int64_t now_us);
const char	*action_name(enum action);
/* Bytes of table per tracked source at this config (the table's stride). */
size_t		 engine_bytes_per_source(const struct engine *);

/*
 * The counts of one source not under judgement, in a form that outlives
 * the engine (a clean restart: state.c).  Times are on the exporting
 * engine's clock.  A window is its ENGINE_BUCKETS buckets, oldest first,
 * ending with the bucket of last_us, and the bucket width it was counted
 * in (0: not kept, the rule was off).  A fanout slot is a destination hash
 * keyed by the engine's hashkey (so it means something only to an engine
 * made with the same key) and its age in ticks of fanout_tick_us before
 * the tick of last_us (< 64).  slots: nslots entries, valid during the
 * call that hands the record over.
 */
#define ENGINE_BUCKETS		16
#define ENGINE_MAX_SLOTS	1024
#define ENGINE_SLOT_MAX_AGE	63

struct engine_slot {
	uint32_t	 dsthash;	/* never 0 */
	uint16_t	 age;		/* ticks, <= ENGINE_SLOT_MAX_AGE */
};

struct engine_counters {
	struct key	 key;
	uint32_t	 connections;		/* >= 1 */
	int64_t		 first_us, last_us;	/* first_us <= last_us */
	/* by rule id, RULE_EVENTS rules: the bucket width (0: not kept,
	 * the rule was off) and the buckets */
	int64_t		 bucket_us[RULE_MAX];
	uint16_t	 buckets[RULE_MAX][ENGINE_BUCKETS];
	int64_t		 distinct_tick_us;	/* the RULE_DISTINCT rule's */
	uint32_t	 nslots;		/* <= ENGINE_MAX_SLOTS */
	const struct engine_slot *slots;
};

/*
 * Calls fn for every source not under judgement that still has something
 * in a window of an enabled rule at now_us, least recently seen first (so
 * that importing in this order into a smaller table keeps the most recent).
 * Returns the number of records handed out.
 */
size_t		 engine_export(const struct engine *, int64_t now_us,
		    void (*fn)(const struct engine_counters *, void *),
		    void *arg);
/*
 * Takes one exported record into e, its times moved by shift_us onto e's
 * clock (a last_us later than now_us, a clock that went back, is moved to
 * now_us).  Each bucket keeps its place relative to the newest, so a
 * window may shift by less than one bucket: DESIGN.md allows that much.
 * A window counted in another bucket width than e's rule (a changed
 * config) starts empty, as after engine_reconf.  Returns 1 when imported,
 * 0 when skipped (the source is already in e, e.g. judged from a restored
 * block; nothing of it is still in a window at now_us; an invalid key),
 * -1 when the table has no room (every entry judged).
 */
int		 engine_import(struct engine *, const struct engine_counters *,
		    int64_t shift_us, int64_t now_us);

/* -------------------------------------------------------------- backend */
/*
 * backend.c, ipset/ipset.c, nft/nft.c: one interface, six verbs.  Every
 * verb is idempotent ("already there" and "already gone" succeed) and reads
 * the kernel's answer; an error is returned as text naming the set and the
 * source, never only logged.
 */
struct backend_entry {
	struct key	 key;
	int64_t		 expires_in_us;		/* DURATION_PERMANENT: none */
	bool		 throttle;
};

/*
 * One kernel set the daemon writes, as the resync check sees it (verb
 * count): missing (the set or its table is gone) and, where the kernel
 * says it cheaply (ipset's header), how many entries it holds and which
 * keys go in it.
 */
struct backend_count {
	char		 name[128];	/* "nflogmon6", "inet nflogmon blocked4" */
	bool		 missing;
	bool		 counted;	/* entries known */
	size_t		 entries;
	enum key_kind	 kind;		/* the keys it holds (when counted) */
	bool		 client;
};
#define BACKEND_COUNT_MAX	8

struct backend;

/* One block of backend_ops.block_many: block's arguments. */
struct backend_put {
	const struct key	*key;
	int64_t			 timeout_us;
	enum response		 resp;
	const struct rate	*throttle_rate;
};

struct backend_ops {
	const char	*name;
	/* Checks or creates the sets; *created tells that a set was missing
	 * (after a reboot) so the caller puts its blocks back. */
	int	(*init)(struct backend *, const struct conf *, bool *created,
		    char *err, size_t errlen);
	/* Adds with a timeout (DURATION_PERMANENT: none); refreshes if present. */
	int	(*block)(struct backend *, const struct key *, int64_t timeout_us,
		    enum response, const struct rate *throttle_rate,
		    char *err, size_t errlen);
	/* Optional (NULL: block each): bp[0..n) as block would put each,
	 * rc[i] 0 or -1; -1 when any failed, the first error in err. */
	int	(*block_many)(struct backend *, const struct backend_put *bp,
		    size_t n, int *rc, char *err, size_t errlen);
	int	(*unblock)(struct backend *, const struct key *,
		    char *err, size_t errlen);
	/* 1 present, 0 absent, -1 error */
	int	(*test)(struct backend *, const struct key *,
		    char *err, size_t errlen);
	/* Fills a malloc'd array; caller frees. */
	int	(*list)(struct backend *, struct backend_entry **, size_t *,
		    char *err, size_t errlen);
	void	(*fini)(struct backend *);
	/* Whether a key of this kind can be enforced (uid under ipset: no). */
	bool	(*enforces)(const struct backend *, const struct key *);
	/* Optional (NULL: none): the sets the daemon writes, still there or
	 * not, in sets[0..*n), *n <= BACKEND_COUNT_MAX; for the periodic
	 * resync check, so never a listing of the elements. */
	int	(*count)(struct backend *, struct backend_count *sets, size_t *n,
		    char *err, size_t errlen);
};

struct backend {
	const struct backend_ops *ops;
	void		*priv;
	const struct conf *conf;
};

extern const struct backend_ops backend_ipset_ops;
extern const struct backend_ops backend_nft_ops;
extern const struct backend_ops backend_none_ops;
const struct backend_ops *backend_ops_for(enum backend_kind);
/* block_many where the backend has it, else block for each. */
int	backend_block_many(struct backend *, const struct backend_put *,
	    size_t n, int *rc, char *err, size_t errlen);

/* ------------------------------------------------------------- report.c */
/*
 * Verdicts, top talkers and counters for people (aligned tables, at most
 * 100 columns) and for machines (jansson objects, DESIGN.md
 * "Machine-readable output").  Engine times are converted to wall clock
 * at this edge: wall = engine time + wall_offset_us (0 for replay, whose
 * engine clock is already Unix time).  The json_t functions return a new
 * reference, or NULL when out of memory.
 */
struct json_t;
/* Flags for json_dumpf: compact, times to the microsecond. */
#define REPORT_JSON_FLAGS	(JSON_COMPACT | JSON_REAL_PRECISION(16))
/* "2023-11-14 22:13:20.500" (UTC) */
char		*report_time(int64_t wall_us, char *buf, size_t len);
struct json_t	*report_time_json(int64_t wall_us);	/* Unix seconds */
struct json_t	*report_verdict_json(const struct verdict *,
		    int64_t wall_offset_us);
/* {"source", each rule's count and its "RULE_limit" (null: off),
 * "connections", "class"}: status's top and replay's alike. */
struct json_t	*report_talker_json(const struct engine_talker *,
		    const struct conf *);
/* Adds packets, events, ignored, malformed, sources, evicted to obj. */
int		 report_stats_json(struct json_t *obj,
		    const struct input_stats *, const struct engine_stats *);
/* Prints obj as one line on f; 0 or -1. */
int		 report_json_print(struct json_t *obj, FILE *f);
void		 report_stats_print(const struct input_stats *,
		    const struct engine_stats *, FILE *);
void		 report_verdicts_print(const struct verdict *, size_t n,
		    int64_t wall_offset_us, FILE *);
void		 report_talkers_print(const struct engine_talker *, size_t n,
		    const struct conf *, FILE *);

/* ------------------------------------------------------------ ruleset.c */
/*
 * The capture ruleset of a config (DESIGN.md "Capture rules from the
 * config"): the nft ruleset (table [block] nft_table: capture and the nft
 * backend's enforcement) and iptables-restore input for family AF_INET or
 * AF_INET6 (NFLOG capture and the ipset backend's enforcement).  Pure: they
 * only write to f.  0, or -1 on a write error.
 */
int	ruleset_print_nft(const struct conf *, FILE *);
int	ruleset_print_iptables(const struct conf *, int family, FILE *);

/*
 * ruleset_check.c: the loaded ruleset read back (libnftables JSON; rules
 * of iptables-nft included) and compared with the config.  warnings are
 * sentences for the log and status; reason[0] (forward) and reason[1]
 * (output) index the first warning about that group, -1 none; failed: at
 * least one warning.  ruleset_check needs CAP_NET_ADMIN; ruleset_check_json
 * is its pure part (ifexists tells whether an interface exists).  Both
 * return 0, or -1 when the ruleset could not be read (then one warning
 * says so).  The report is freed with ruleset_report_free.
 */
struct ruleset_report {
	char		**warnings;
	size_t		  nwarnings;
	int		  reason[2];
	bool		  failed;
};
int	ruleset_check(const struct conf *, struct ruleset_report *);
int	ruleset_check_json(const struct conf *, const char *json,
	    bool (*ifexists)(const char *), struct ruleset_report *);
void	ruleset_report_free(struct ruleset_report *);

/* ------------------------------------------------- command entry points */
/* main.c dispatches argv[0] of the subcommand to these; each returns the
 * process exit status. */
int	cmd_replay(int argc, char **argv);		/* replay.c */
int	cmd_check_config(int argc, char **argv);	/* conf_print.c */
int	cmd_rules(int argc, char **argv);		/* ruleset.c */
int	cmd_run(int argc, char **argv);			/* daemon.c */
int	cmd_status(int argc, char **argv);		/* client.c */
int	cmd_list(int argc, char **argv);		/* client.c */
int	cmd_block(int argc, char **argv);		/* client.c */
int	cmd_unblock(int argc, char **argv);		/* client.c */
void	usage_print(FILE *);				/* main.c */

/* -------------------------------------------------------- mta_policy.c */
/*
 * Postfix's policy delegation protocol (SMTPD_POLICY_README), the parser
 * alone: requests are "name=value" lines ended by an empty line.  Pure and
 * incremental: bytes arrive in pieces of any size; nothing is allocated;
 * every line, the attribute count and the request are bounded; no length
 * is trusted.  NUL bytes, a line without '=' or with an empty name, an
 * over-long line or request, too many attributes, an attribute it keeps
 * given twice or longer than its field, an empty request, or a
 * client_address that is not an IP address: malformed, and the connection
 * is closed.  Attributes it does not keep are skipped (Postfix adds new
 * ones in new versions).
 */
#define MTA_POLICY_LINE_MAX	2048	/* bytes of a line, newline excluded */
#define MTA_POLICY_ATTRS_MAX	64	/* attributes of one request */
#define MTA_POLICY_REQ_MAX	(32 * 1024)	/* bytes of one request */
#define MTA_POLICY_SHORT_MAX	64	/* request, protocol_state, ... */
#define MTA_POLICY_LOGIN_MAX	256	/* sasl_username (keys: <= 255) */
#define MTA_POLICY_ADDR_MAX	512	/* sender, recipient */

/* What nflogmon uses of one request: NUL-terminated, "" when absent. */
struct mta_policy_request {
	char		 request[MTA_POLICY_SHORT_MAX];	/* smtpd_access_policy */
	char		 protocol_state[MTA_POLICY_SHORT_MAX];	/* RCPT... */
	char		 sasl_username[MTA_POLICY_LOGIN_MAX];
	char		 sender[MTA_POLICY_ADDR_MAX];	/* "" null sender */
	char		 recipient[MTA_POLICY_ADDR_MAX];
	char		 instance[MTA_POLICY_SHORT_MAX];
	char		 queue_id[MTA_POLICY_SHORT_MAX];
	bool		 has_client;	/* a client_address was given */
	struct addr	 client;	/* IPv4-mapped IPv6 made IPv4 */
	uint32_t	 nattrs;	/* lines of the request */
};

/*
 * Invariant: line[0..linelen) is the start of the current line (no
 * newline in it, linelen <= MTA_POLICY_LINE_MAX); req holds the kept
 * attributes of the lines before it, seen a bit for each; done: req was
 * handed out, so the next byte starts a new request.
 */
struct mta_policy {
	char		 line[MTA_POLICY_LINE_MAX];
	size_t		 linelen;
	size_t		 reqlen;	/* bytes of the request so far */
	uint32_t	 seen;
	bool		 done;
	struct mta_policy_request req;
};

enum mta_policy_result {
	MTA_POLICY_MORE = 0,	/* every byte taken, no request complete */
	MTA_POLICY_REQUEST,	/* a request is complete in p->req */
	MTA_POLICY_MALFORMED,	/* the connection must be closed */
};

void	mta_policy_init(struct mta_policy *);
/*
 * Takes bytes from buf[0..len) up to the end of the first request
 * completed, and says how many in *used.  After MTA_POLICY_REQUEST the
 * request stays in p->req until the next call, which starts a new one.
 * After MTA_POLICY_MALFORMED, *why is a static reason and p is spent
 * (init it again to reuse it).
 */
enum mta_policy_result mta_policy_feed(struct mta_policy *,
	    const uint8_t *buf, size_t len, size_t *used, const char **why);
/* The domain of an envelope address (after its last '@'), "" for none. */
const char *mta_policy_domain(const char *address);

/*
 * [mta] policy_listen: "unix:PATH" (absolute, fits a socket address) or
 * "inet:ADDR:PORT" with a loopback ADDR (127.0.0.0/8, or [::1]): every
 * local user can reach a TCP port and forge requests, so nothing wider.
 * 0, or -1 with the reason in err.
 */
#define MTA_LISTEN_PATH_MAX	108	/* sun_path */
struct mta_listen {
	int		 family;	/* AF_UNIX, AF_INET, AF_INET6 */
	char		 path[MTA_LISTEN_PATH_MAX];
	struct addr	 addr;
	uint16_t	 port;
};
int	mta_listen_parse(const char *, struct mta_listen *, char *err,
	    size_t errlen);
/* [mta] policy_reply: one line of a valid access(5) action (the action
 * word, and its text or argument where access(5) wants one).  0 or -1
 * with err. */
int	mta_reply_check(const char *, char *err, size_t errlen);

/* ------------------------------------------- maillog.c, input_maillog.c */
/*
 * Mail logs (DESIGN.md "Mail logs"): maillog.c turns lines of a Postfix or
 * Exim log into account events (pure; a bounded join table of messages
 * waiting for their recipients), input_maillog.c reads files for replay
 * and follows the live log of [mta] maillog.
 */
#define MAILLOG_LINE_MAX	8192	/* bytes of a line; longer: skipped */
#define MAILLOG_MAX_RCPT	100000	/* recipients of one message */
#define MAILLOG_IDS		16384	/* messages waiting to be joined */

enum maillog_result {
	MAILLOG_IGNORED = 0,	/* not an event (also a line kept to join) */
	MAILLOG_EVENTS,		/* the line gave events to the sink */
	MAILLOG_MALFORMED,	/* looks authenticated but is not well formed */
};

/* What maillog_time keeps between lines: the reference time (no syslog
 * line is later than a day after it; it picks the year), the local
 * offset of the last hour seen and the last header parsed. */
struct maillog_clock {
	int64_t		 ref_s;
	int64_t		 ref_naive_s;	/* ref_s in local time's numbers */
	int		 ref_year;
	bool		 off_valid;
	int64_t		 off_hour, off_s;
	char		 last[48];
	size_t		 last_len;
	int64_t		 last_us;
};

struct maillog;
/* max_ids: messages waiting for their recipients (rounded up to a power
 * of two; when full the oldest is dropped). */
struct maillog	*maillog_new(const struct conf *, size_t max_ids);
void		 maillog_reconf(struct maillog *, const struct conf *);
void		 maillog_free(struct maillog *);
uint64_t	 maillog_evicted(const struct maillog *);
/*
 * One line (its newline may be there or not): its events at t_us to the
 * sink.  Authenticated Postfix messages count at their first qmgr
 * "from=<...>, nrcpt=N" line, Exim ones at "<=" (+received_recipients) or
 * at each "=>"/"->"; a queue or message id counts once.
 */
enum maillog_result maillog_line(struct maillog *, const char *line,
		    size_t len, int64_t t_us, const struct event_sink *);
/* ref_s: a Unix time that the log's lines are not later than (the file's
 * modification time; now for a live log). */
void		 maillog_clock_init(struct maillog_clock *, int64_t ref_s);
/* The time of a line in Unix microseconds, -1 when it has none.  Times
 * without a zone are local time. */
int64_t		 maillog_time(struct maillog_clock *, const char *line,
		    size_t len);

/* input_maillog.c: mail-log files of replay (plain or gzip), all of them
 * one input (merged in time order; one join table); prints the one-line
 * reason and returns NULL when a file cannot be opened. */
struct input	*input_maillog_replay(char *const *paths, int n,
		    const struct conf *);
/* Whether a file could not be read to its end (reported). */
bool		 input_maillog_failed(const struct input *);
/* The live log of [mta] maillog, followed from its end (inotify). */
struct input	*input_maillog_follow(const struct conf *, char *err,
		    size_t errlen);
/* Whether the daemon's user can read path and list its directory: 0, or
 * -1 with the reason in err. */
int		 input_maillog_check_user(const struct conf *, const char *path,
		    char *err, size_t errlen);

#endif /* NFLOGMON_H */
