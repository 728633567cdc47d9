/*
 * conf_internal.h: what the files of the configuration share: the table of
 * keys, the state of one load and the helpers that cross between them.
 * Only daemon/conf*.c include it; the rest of the program knows struct conf
 * through nflogmon.h and nothing else.
 */
#ifndef NFLOGMON_CONF_INTERNAL_H
#define NFLOGMON_CONF_INTERNAL_H

#include <stddef.h>
#include <stdio.h>

#include "nflogmon.h"

#define CONF_MAX_CLASSES	4096
#define CONF_KEY_MAX		64

enum section {
	SEC_NONE = 0,		/* before any section header */
	SEC_DAEMON,
	SEC_CAPTURE,
	SEC_DETECT,
	SEC_BLOCK,
	SEC_ALLOW,
	SEC_ACCOUNTS,
	SEC_MTA,
	SEC_FLEET,
	SEC_CLASS,
	SEC_IGNORE,		/* bad header, already reported */
};


extern const char *const section_names[];


enum ktype {
	K_PATH,		/* absolute path, required */
	K_PATH_OPT,	/* absolute path or empty */
	K_GROUP,	/* group name or number, or empty */
	K_USER,		/* user name or number, or empty */
	K_NFGROUP,	/* 0..65535 or off */
	K_PORTS,	/* list of 1..65535 */
	K_IFACES,	/* list of interface names */
	K_INT,		/* int in min..max */
	K_U32,		/* uint32_t in min..max */
	K_RATE,		/* N/W */
	K_RATE_OFF,	/* N/W or off */
	K_DURATION,	/* duration, permanent allowed */
	K_DURATION_FIN,	/* finite duration */
	K_DURLIST,	/* list of durations (escalate) */
	K_BOOL,
	K_BACKEND,
	K_RESPONSE,
	K_IPSET_NAME,
	K_NFT_TABLE,
	K_ADDRS,	/* list of addresses into a netset */
	K_NETS,		/* list of addresses or prefixes into a netset */
	K_UIDS,
	K_CLASS_NETS,	/* list of prefixes into class_nets */
	K_DOMAINS,	/* list of domain names into a strlist */
	K_ACCOUNTS,	/* list of logins into a strlist */
	K_POLICY_LISTEN, /* unix:PATH or inet:LOOPBACK:PORT, or empty */
	K_POLICY_REPLY,	/* one access(5) action */
	K_POLICY_GROUP,	/* a group name or number, resolved at start */
	K_URL,		/* http:// or https:// URL, or empty */
	K_IDENT,	/* a name (conf_ident_ok), or empty */
	K_SECRET,	/* path of a secret file (read by conf_fleet.c) */
};

/*
 * One row per key.  off is into struct conf, or into struct conf_class for
 * SEC_CLASS rows; has is offset + 1 of the class's has_* flag (0: none);
 * tag is the netset value for K_ADDRS/K_NETS (0 addresses, 1 networks), so
 * that conf_print can tell them apart.
 */
struct keydef {
	enum section	 sec;
	const char	*name;
	enum ktype	 type;
	size_t		 off;
	size_t		 size;
	int64_t		 min, max;
	size_t		 has;
	int		 tag;
};

/* The rows of keydefs (conf.c): the fixed keys and each counted rule's
 * threshold in its section and in [class NAME]; the compiler checks the
 * count. */
#define CONF_ONE_(...)	+ 1
#define NKEYDEFS	(51 + 2 * (0 RULES_SOURCES(CONF_ONE_)) +	\
			    (0 RULES_ACCOUNTS(CONF_ONE_)))

extern const struct keydef keydefs[NKEYDEFS];

struct conf_msg {
	int		 line;
	int		 seq;
	char		*msg;
};

/* Where each key of one class was given (0: not given). */
struct class_lines {
	int		 header;
	int		 key[NKEYDEFS];
};

/*
 * The state of one load.  The reader fills lineno, key, val and cont for
 * the line it hands to inih; the handler consumes them before the reader
 * runs again.
 */
struct conf_ctx {
	FILE		*f;
	const char	*name;
	FILE		*errs;
	struct conf	*conf;
	int		 nerrs;

	char		*buf;		/* getline's, the current line */
	size_t		 bufsz;
	int		 lineno;
	char		 key[CONF_KEY_MAX + 1];
	const char	*val;		/* into buf */
	bool		 cont;		/* a continuation line of key */

	enum section	 sec;
	int		 cls;		/* SEC_CLASS: index into classes */
	char		 prev_key[CONF_KEY_MAX + 1];	/* "" none */
	bool		 prev_ok;	/* continuations of prev_key apply */

	int		 key_line[NKEYDEFS];	/* fixed sections */
	struct class_lines *clines;		/* one per class */
	int		 nports_line;		/* line of an empty ports */
	int		 nsubmission_line;	/* the same, submission_ports */

	struct conf_msg	*msgs;			/* errors, printed at the end */
	int		 nmsgs;
};

/* Keywords of an enum or a bool. */
struct word {
	const char	*w;
	int		 v;
};

extern const struct word backend_words[];
extern const struct word response_words[];

/* conf.c */
void	 conf_err(struct conf_ctx *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

/* conf_value.c */
bool	 conf_ident_ok(const char *, size_t max);
const char *conf_word_name(const struct word *, int);
void	 conf_set_scalar(struct conf_ctx *, const struct keydef *,
	    const char *);
bool	 conf_is_list(const struct keydef *);
void	 conf_set_list(struct conf_ctx *, const struct keydef *, const char *,
	    bool first);

/* conf.c: sorts [allow] accounts for conf_account_allowed. */
void	 conf_sort_accounts(struct conf *);

/* conf_fleet.c: the [fleet] checks and the secrets, after the parse. */
void	 conf_fleet_check(struct conf_ctx *);

/* conf_check.c */
void	 conf_check(struct conf_ctx *);
int	 conf_uid_cmp(const void *, const void *);

#endif /* NFLOGMON_CONF_INTERNAL_H */
