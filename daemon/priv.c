/*
 * priv.c: least privilege.  Once the NFLOG sockets and the control socket
 * exist the daemon needs exactly one capability, CAP_NET_ADMIN, for the
 * set writes (ipset, nftables netlink).  priv_drop switches to the
 * configured user (if any) keeping only that capability, with an empty
 * bounding set otherwise, and verifies the result.  It fails closed: any
 * failure is fatal, the daemon never runs with more than it asked for.
 * The directories the daemon writes afterwards (state file, metrics file,
 * control socket) are prepared before the switch.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/types.h>

#include <cap-ng.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"

/*
 * Makes the directory of path writable for uid/gid: a missing directory is
 * created (mode) and given to the user; an existing one is given to the
 * user only when its name says it is ours ("nflogmon" in its last
 * component), so /tmp, /run or a shared textfile directory is never
 * re-owned.  The file itself, if present, is given to the user.
 */
static void
priv_prepare(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	char buf[PATH_MAX], *dir;
	struct stat st;

	if (path[0] == '\0')
		return;
	if (strlen(path) >= sizeof(buf))
		fatalx("%s: path too long", path);
	strcpy(buf, path);
	dir = dirname(buf);
	if (stat(dir, &st) == -1) {
		if (errno != ENOENT || mkdir(dir, mode) == -1)
			fatal("%s", dir);
		if (chown(dir, uid, gid) == -1)
			fatal("chown %s", dir);
	} else if (strstr(basename(dir), "nflogmon") != NULL &&
	    st.st_uid != uid) {
		if (chown(dir, uid, gid) == -1)
			fatal("chown %s", dir);
	}
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid != uid &&
	    chown(path, uid, gid) == -1)
		fatal("chown %s", path);
}

/* The store's WAL and shared-memory files, opened as root at start, are
 * the user's too (its checkpoint connection opens them after the drop). */
static void
priv_prepare_sqlite(const char *path, uid_t uid, gid_t gid)
{
	static const char *const sfx[] = { "-wal", "-shm" };
	char buf[PATH_MAX];
	struct stat st;
	size_t i;

	if (path[0] == '\0')
		return;
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		if (snprintf(buf, sizeof(buf), "%s%s", path, sfx[i]) >=
		    (int)sizeof(buf))
			fatalx("%s: path too long", path);
		if (lstat(buf, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_uid != uid && chown(buf, uid, gid) == -1)
			fatal("chown %s", buf);
	}
}

/* After the switch: the daemon must still be able to replace the file. */
static void
priv_check_writable(const char *path)
{
	char buf[PATH_MAX], *dir;

	if (path[0] == '\0')
		return;
	strcpy(buf, path);
	/* dirname works in place: call it once. */
	dir = dirname(buf);
	if (access(dir, W_OK | X_OK) == -1)
		fatal("%s is not writable after dropping privileges", dir);
}

static void
priv_verify(uid_t uid, gid_t gid)
{
	int cap;

	if (getuid() != uid || geteuid() != uid || getgid() != gid ||
	    getegid() != gid)
		fatalx("privilege drop: uid/gid not switched");
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_get_caps_process() != 0)
		fatalx("privilege drop: cannot read capabilities");
	for (cap = 0; cap <= CAP_LAST_CAP; cap++) {
		bool want = cap == CAP_NET_ADMIN;
		if (capng_have_capability(CAPNG_EFFECTIVE, (unsigned)cap) != want ||
		    capng_have_capability(CAPNG_PERMITTED, (unsigned)cap) != want)
			fatalx("privilege drop: capability %d %s", cap,
			    want ? "missing" : "still held");
		if (cap != CAP_NET_ADMIN &&
		    capng_have_capability(CAPNG_INHERITABLE, (unsigned)cap))
			fatalx("privilege drop: capability %d inheritable", cap);
	}
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1))
		fatalx("privilege drop: could regain uid 0");
}

static bool
priv_number(const char *s, uid_t *uid)
{
	unsigned long n;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || n >= UINT32_MAX)
		return false;
	*uid = (uid_t)n;
	return true;
}

/* The configured user's uid and gid (0, 0 when none); fatal if unknown. */
static void
priv_user(const struct conf *conf, uid_t *uidp, gid_t *gidp,
    capng_flags_t *flags)
{
	struct passwd *pw;
	uid_t uid = 0;
	gid_t gid = 0;

	*flags = CAPNG_INIT_SUPP_GRP;
	if (conf->user[0] != '\0') {
		if ((pw = getpwnam(conf->user)) != NULL) {
			uid = pw->pw_uid;
			gid = pw->pw_gid;
		} else if (priv_number(conf->user, &uid)) {
			/* A uid without an account: its own gid, no
			 * supplementary groups. */
			if ((pw = getpwuid(uid)) != NULL)
				gid = pw->pw_gid;
			else {
				gid = (gid_t)uid;
				*flags = CAPNG_DROP_SUPP_GRP;
			}
		} else
			fatalx("unknown user %s", conf->user);
	}
	*uidp = uid;
	*gidp = gid;
}

/* Before the store opens (as root, at start): its directory exists and is
 * the user's, so that the files SQLite makes there are reachable after
 * the drop. */
void
priv_prepare_state(const struct conf *conf)
{
	capng_flags_t flags;
	uid_t uid;
	gid_t gid;

	priv_user(conf, &uid, &gid, &flags);
	priv_prepare(conf->state_file, 0750, uid, gid);
}

void
priv_drop(const struct conf *conf)
{
	uid_t uid = 0;
	gid_t gid = 0;
	capng_flags_t flags;
	int rv;

	priv_user(conf, &uid, &gid, &flags);
	priv_prepare(conf->state_file, 0750, uid, gid);
	priv_prepare_sqlite(conf->state_file, uid, gid);
	priv_prepare(conf->metrics_file, 0755, uid, gid);
	priv_prepare(conf->control_socket, 0755, uid, gid);

	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED |
	    CAPNG_BOUNDING_SET, CAP_NET_ADMIN) != 0)
		fatalx("privilege drop: capng_update failed");
	if (uid != 0) {
		/* setgroups(initgroups), setgid, setuid, keeping the set above
		 * and clearing the bounding set but for it. */
		rv = capng_change_id((int)uid, (int)gid,
		    flags | CAPNG_CLEAR_BOUNDING);
		if (rv != 0)
			fatalx("privilege drop: cannot switch to user %s "
			    "(capng_change_id %d)", conf->user, rv);
	} else if (capng_apply(CAPNG_SELECT_BOTH) != 0)
		fatalx("privilege drop: cannot apply capabilities");
	priv_verify(uid, gid);
	priv_check_writable(conf->state_file);
	priv_check_writable(conf->metrics_file);
	log_info("privileges dropped: uid %u, gid %u, CAP_NET_ADMIN only",
	    (unsigned)uid, (unsigned)gid);
}
