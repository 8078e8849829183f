#include "status.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_core.h"
#include "helix_lease.h"
#include "input_devices.h"

struct jbuf {
	char *s;
	size_t len, cap;
	bool failed;
};

static void jprintf(struct jbuf *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jprintf(struct jbuf *j, const char *fmt, ...)
{
	if (j->failed)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(j->s + j->len, j->cap - j->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			j->failed = true;
			return;
		}
		if ((size_t)n < j->cap - j->len) {
			j->len += (size_t)n;
			return;
		}
		size_t cap = (j->cap + (size_t)n + 1) * 2;
		char *s = realloc(j->s, cap);
		if (!s) {
			j->failed = true;
			return;
		}
		j->s = s;
		j->cap = cap;
	}
}

/* Names come from the kernel and our own config; escape anyway. */
static void jstr(struct jbuf *j, const char *s)
{
	jprintf(j, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			jprintf(j, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			jprintf(j, "\\u%04x", c);
		else
			jprintf(j, "%c", c);
	}
	jprintf(j, "\"");
}

char *lb_status_json(struct lb_broker *b, const struct lc_peer *viewer, size_t *len)
{
	struct jbuf j = {.cap = 1024};
	j.s = malloc(j.cap);
	if (!j.s)
		return NULL;
	j.s[0] = '\0';
	jprintf(&j, "{\"outputs\":[");
	bool first = true;
	struct lb_card *card;
	wl_list_for_each (card, lb_broker_cards(b), link) {
		struct lb_output *o;
		wl_list_for_each (o, &card->outputs, link) {
			jprintf(&j, "%s{\"name\":", first ? "" : ",");
			first = false;
			jstr(&j, o->name);
			jprintf(&j,
				",\"connector_id\":%u,\"crtc_id\":%u,\"scanout_id\":%d,\"state\":\"%s\","
				"\"reserved\":%s,\"offerable\":%s,\"leased_by\":",
				o->connector_id, o->crtc_id, o->scanout_id,
				lb_output_state_name(o->state), o->reserved ? "true" : "false",
				lb_output_is_offerable(o) ? "true" : "false");
			if (o->lease)
				jprintf(&j, "%u", o->lease->id);
			else
				jprintf(&j, "null");
			/* Its input devices (helix-lease.md 4.3), in hand-out order. */
			struct lc_lease_input in[LC_LEASE_INPUT_MAX];
			const char *nodes[LC_LEASE_INPUT_MAX];
			size_t n = lb_inputs_describe(lb_broker_inputs(b), o->name, in, nodes,
						      LC_LEASE_INPUT_MAX);
			jprintf(&j, ",\"inputs\":[");
			for (size_t i = 0; i < n; i++) {
				jprintf(&j, "%s{\"kind\":\"%s\",\"uniq\":", i ? "," : "",
					lc_lease_input_kind_name(in[i].kind));
				jstr(&j, in[i].uniq);
				jprintf(&j, ",\"node\":");
				jstr(&j, nodes[i]);
				jprintf(&j, "}");
			}
			jprintf(&j, "]}");
		}
	}
	jprintf(&j, "],\"leases\":[");
	first = true;
	struct lb_lease *l;
	wl_list_for_each (l, lb_broker_leases(b), link) {
		jprintf(&j, "%s{\"id\":%u,\"outputs\":[", first ? "" : ",", l->id);
		first = false;
		for (size_t i = 0; i < l->n_outputs; i++) {
			if (i)
				jprintf(&j, ",");
			jstr(&j, l->outputs[i]->name);
		}
		jprintf(&j, "],\"via\":");
		jstr(&j, l->via);
		if (viewer->uid == 0 || viewer->uid == l->holder.uid)
			jprintf(&j, ",\"pid\":%d,\"uid\":%u", (int)l->holder.pid,
				(unsigned)l->holder.uid);
		else
			jprintf(&j, ",\"pid\":null,\"uid\":null");
		if (l->state == LB_LEASE_ACTIVE)
			jprintf(&j, ",\"lessee_id\":%u", l->lessee_id);
		else
			jprintf(&j, ",\"lessee_id\":null");
		jprintf(&j, ",\"state\":\"%s\"", lb_lease_state_name(l->state));
		/* Stream keys are capabilities: the holder's uid and root only. */
		if (viewer->uid == 0 || viewer->uid == l->holder.uid) {
			jprintf(&j, ",\"outputs_detail\":[");
			for (size_t i = 0; i < l->n_outputs; i++) {
				char key[HXFR_STREAM_KEY_HEX_LEN + 1];
				lb_lease_stream_key_hex(l, i, key);
				jprintf(&j, "%s{\"name\":", i ? "," : "");
				jstr(&j, l->outputs[i]->name);
				jprintf(&j, ",\"scanout_id\":%d,\"stream_key\":\"%s\"}",
					l->outputs[i]->scanout_id, key);
				explicit_bzero(key, sizeof(key));
			}
			jprintf(&j, "]");
		}
		jprintf(&j, "}");
	}
	jprintf(&j, "],\"extensions\":[\"" HELIX_LEASE_EXT_NAME_STATUS
		    "\",\"" HELIX_LEASE_EXT_NAME_AUTH_MAGIC
		    "\",\"" HELIX_LEASE_EXT_NAME_INPUT_DEVICES "\"]}\n");
	if (j.failed) {
		free(j.s);
		return NULL;
	}
	*len = j.len;
	return j.s;
}
