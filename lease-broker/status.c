#include "status.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_core.h"
#include "helix_lease.h"
#include "input_devices.h"
#include "jsonbuf.h"

char *lb_status_json(struct lb_broker *b, const struct lc_peer *viewer, size_t *len)
{
	struct lc_json j;
	lc_json_init(&j);
	lc_json_printf(&j, "{\"outputs\":[");
	bool first = true;
	struct lb_card *card;
	wl_list_for_each (card, lb_broker_cards(b), link) {
		struct lb_output *o;
		wl_list_for_each (o, &card->outputs, link) {
			lc_json_printf(&j, "%s{\"name\":", first ? "" : ",");
			first = false;
			lc_json_str(&j, o->name);
			lc_json_printf(
				&j,
				",\"connector_id\":%u,\"crtc_id\":%u,\"scanout_id\":%d,\"state\":\"%s\","
				"\"reserved\":%s,\"offerable\":%s,\"leased_by\":",
				o->connector_id, o->crtc_id, o->scanout_id,
				lb_output_state_name(o->state), o->reserved ? "true" : "false",
				lb_output_is_offerable(o) ? "true" : "false");
			if (o->lease)
				lc_json_printf(&j, "%u", o->lease->id);
			else
				lc_json_printf(&j, "null");
			/* Its input devices (helix-lease.md 4.3), in hand-out order. */
			struct lc_lease_input in[LC_LEASE_INPUT_MAX];
			const char *nodes[LC_LEASE_INPUT_MAX];
			size_t n = lb_inputs_describe(lb_broker_inputs(b), o->name, in, nodes,
						      LC_LEASE_INPUT_MAX);
			lc_json_printf(&j, ",\"inputs\":[");
			for (size_t i = 0; i < n; i++) {
				lc_json_printf(&j, "%s{\"kind\":\"%s\",\"uniq\":", i ? "," : "",
					       lc_lease_input_kind_name(in[i].kind));
				lc_json_str(&j, in[i].uniq);
				lc_json_printf(&j, ",\"node\":");
				lc_json_str(&j, nodes[i]);
				lc_json_printf(&j, "}");
			}
			lc_json_printf(&j, "]}");
		}
	}
	lc_json_printf(&j, "],\"leases\":[");
	first = true;
	struct lb_lease *l;
	wl_list_for_each (l, lb_broker_leases(b), link) {
		lc_json_printf(&j, "%s{\"id\":%u,\"outputs\":[", first ? "" : ",", l->id);
		first = false;
		for (size_t i = 0; i < l->n_outputs; i++) {
			if (i)
				lc_json_printf(&j, ",");
			lc_json_str(&j, l->outputs[i]->name);
		}
		lc_json_printf(&j, "],\"via\":");
		lc_json_str(&j, l->via);
		if (viewer->uid == 0 || viewer->uid == l->holder.uid)
			lc_json_printf(&j, ",\"pid\":%d,\"uid\":%u", (int)l->holder.pid,
				       (unsigned)l->holder.uid);
		else
			lc_json_printf(&j, ",\"pid\":null,\"uid\":null");
		if (l->state == LB_LEASE_ACTIVE)
			lc_json_printf(&j, ",\"lessee_id\":%u", l->lessee_id);
		else
			lc_json_printf(&j, ",\"lessee_id\":null");
		lc_json_printf(&j, ",\"state\":\"%s\"", lb_lease_state_name(l->state));
		/* Stream keys are capabilities: the holder's uid and root only. */
		if (viewer->uid == 0 || viewer->uid == l->holder.uid) {
			lc_json_printf(&j, ",\"outputs_detail\":[");
			for (size_t i = 0; i < l->n_outputs; i++) {
				char key[HXFR_STREAM_KEY_HEX_LEN + 1];
				lb_lease_stream_key_hex(l, i, key);
				lc_json_printf(&j, "%s{\"name\":", i ? "," : "");
				lc_json_str(&j, l->outputs[i]->name);
				lc_json_printf(&j, ",\"scanout_id\":%d,\"stream_key\":\"%s\"}",
					       l->outputs[i]->scanout_id, key);
				explicit_bzero(key, sizeof(key));
			}
			lc_json_printf(&j, "]");
		}
		lc_json_printf(&j, "}");
	}
	lc_json_printf(&j, "],\"extensions\":[\"" HELIX_LEASE_EXT_NAME_STATUS
			   "\",\"" HELIX_LEASE_EXT_NAME_AUTH_MAGIC
			   "\",\"" HELIX_LEASE_EXT_NAME_INPUT_DEVICES "\"]}\n");
	return lc_json_take(&j, len);
}
