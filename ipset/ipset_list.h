/* ipset_list.h: a set's entries read straight from the kernel. */
#ifndef IPSET_LIST_H
#define IPSET_LIST_H

int	ips_dump(const char *setname, int family, struct backend_entry **,
	    size_t *n, size_t *cap, char *err, size_t errlen);

#endif
