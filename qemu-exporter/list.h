/* A minimal intrusive doubly linked list (the wl_list idiom), so that
 * clients and requests unlink themselves in O(1) without an allocator. */
#ifndef QE_LIST_H
#define QE_LIST_H

#include <stddef.h>

struct qe_list {
	struct qe_list *prev, *next;
};

static inline void qe_list_init(struct qe_list *l)
{
	l->prev = l->next = l;
}

static inline void qe_list_insert_tail(struct qe_list *head, struct qe_list *elm)
{
	elm->prev = head->prev;
	elm->next = head;
	head->prev->next = elm;
	head->prev = elm;
}

static inline void qe_list_remove(struct qe_list *elm)
{
	elm->prev->next = elm->next;
	elm->next->prev = elm->prev;
	elm->prev = elm->next = elm;
}

static inline int qe_list_empty(const struct qe_list *l)
{
	return l->next == l;
}

#define qe_container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* Safe against removal of the current element. */
#define qe_list_for_each_safe(pos, tmp, head)                            \
	for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head); \
	     (pos) = (tmp), (tmp) = (pos)->next)

#endif
