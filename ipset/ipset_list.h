/* ipset_list.h: a set's entries or its count read straight from the
 * kernel. */
#ifndef IPSET_LIST_H
#define IPSET_LIST_H

int	ips_dump(const char *setname, int family, struct backend_entry **,
	    size_t *n, size_t *cap, char *err, size_t errlen);
/* The entries the kernel counts in setname (its header only, never a
 * listing of them): 0 with *n, or *missing when the set does not exist;
 * -1 with err. */
int	ips_header_count(const char *setname, int family, size_t *n,
	    bool *missing, char *err, size_t errlen);

#endif
