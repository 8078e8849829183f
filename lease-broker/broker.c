/* The broker's core (broker.h, broker_core.h): the lease lifecycle and the
 * policy around it. Turning outputs on and off, with the display-change
 * pacing and the recovery of display events the guest loses, is
 * output_power.c's (see the top of that file); this file only asks for an
 * output on or off and hears back when it is on or its ENABLE failed. */
#include "broker_core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card.h"
#include "exporter_link.h"
#include "hxfr_auth.h"
#include "input_devices.h"
#include "log.h"
#include "output_power.h"
#include "uevent.h"

#define DEFAULT_REFRESH_HZ 60
#define MAX_LESSEES 256
struct lb_broker {
	struct wl_display *display;
	struct wl_event_loop *loop;
	const struct lb_config *cfg;
	struct wl_list cards;  /* lb_card.link */
	struct wl_list leases; /* lb_lease.link */
	uint32_t next_lease_id;
	struct lb_uevent *uevent;
	struct lb_inputs *inputs;
	struct lb_exporter_link *exporter;
};

struct lease_impl;

/* One output's stream key request (HXFR STREAM_KEY_REQ). */
struct lease_key {
	struct lease_impl *li;
	size_t index;                /* in pub.outputs */
	struct lb_exporter_req *req; /* in flight */
	bool asked;                  /* the exporter may hold a key: revoke it */
};

/* The broker's private side of a lease. */
struct lease_impl {
	struct lb_lease pub;
	struct lease_key keys[LB_MAX_LEASE_OUTPUTS];
	bool keys_requested; /* once all outputs were on */
	size_t keys_pending;
	struct lb_power_mode mode;     /* of the outputs it turns on */
	struct wl_event_source *timer; /* enable deadline */
	struct wl_event_source *idle;  /* progress, outside the caller's stack */
	int emitting;
	bool destroy_requested;
	bool lessee_alive; /* a kernel lessee we may have to revoke */
};

static struct lease_impl *impl(struct lb_lease *l)
{
	return (struct lease_impl *)l; /* pub is the first member */
}

const char *lb_output_state_name(enum lb_output_state s)
{
	switch (s) {
	case LB_OUTPUT_OFF: return "off";
	case LB_OUTPUT_ENABLING: return "enabling";
	case LB_OUTPUT_ON: return "on";
	case LB_OUTPUT_DISABLING: return "disabling";
	}
	return "?";
}

const char *lb_lease_state_name(enum lb_lease_state s)
{
	switch (s) {
	case LB_LEASE_PENDING: return "pending";
	case LB_LEASE_ACTIVE: return "active";
	case LB_LEASE_FINISHED: return "finished";
	}
	return "?";
}

bool lb_output_is_offerable(const struct lb_output *o)
{
	if (o->reserved || o->lease)
		return false;
	if (o->state == LB_OUTPUT_ON)
		return true;
	return o->card->has_exporter && o->scanout_id >= 0 &&
	       (o->state == LB_OUTPUT_OFF || o->state == LB_OUTPUT_DISABLING);
}

struct lb_card *lb_broker_default_card(struct lb_broker *b)
{
	if (wl_list_empty(&b->cards))
		return NULL;
	struct lb_card *c = wl_container_of(b->cards.next, c, link);
	return c;
}

struct wl_display *lb_broker_display(struct lb_broker *b)
{
	return b->display;
}

struct wl_list *lb_broker_cards(struct lb_broker *b)
{
	return &b->cards;
}

struct wl_list *lb_broker_leases(struct lb_broker *b)
{
	return &b->leases;
}

struct lb_inputs *lb_broker_inputs(struct lb_broker *b)
{
	return b->inputs;
}

bool lb_broker_peer_allowed(struct lb_broker *b, const struct lc_peer *peer)
{
	if (peer->uid == 0 || b->cfg->n_allow_uids == 0)
		return true;
	for (size_t i = 0; i < b->cfg->n_allow_uids; i++)
		if (b->cfg->allow_uids[i] == peer->uid)
			return true;
	return false;
}

static void lease_destroy_now(struct lease_impl *li);

/* Signals go through here so that a listener may destroy the lease. The
 * lease must not be touched after this returns. */
static void lease_emit(struct lease_impl *li, struct wl_signal *sig, void *data)
{
	li->emitting++;
	wl_signal_emit_mutable(sig, data);
	li->emitting--;
	if (li->emitting == 0 && li->destroy_requested)
		lease_destroy_now(li);
}

static void lease_outputs_str(const struct lb_lease *l, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < l->n_outputs && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "," : "",
					l->outputs[i]->name);
}

static void lease_wipe_keys(struct lb_lease *l)
{
	explicit_bzero(l->stream_keys, sizeof(l->stream_keys));
}

/* The lease's input fds die first when it ends, however it ends: the
 * holder (and whoever it passed them to) keeps no working input. */
static void lease_revoke_inputs(struct lb_lease *l)
{
	if (l->n_inputs == 0)
		return;
	lb_inputs_revoke(l->inputs, l->n_inputs);
	lc_info("lease %u: %zu input device%s revoked", l->id, l->n_inputs,
		l->n_inputs == 1 ? "" : "s");
	l->n_inputs = 0;
}

static void lease_finish(struct lease_impl *li, const char *reason)
{
	struct lb_lease *l = &li->pub;
	if (l->state == LB_LEASE_FINISHED)
		return;
	lease_revoke_inputs(l);
	lease_wipe_keys(l); /* dead: the exporter's copies go at destroy */
	char outs[256];
	lease_outputs_str(l, outs, sizeof(outs));
	lc_info("lease %u (%s, %s pid %d uid %u) %s: %s", l->id, outs, l->via, (int)l->holder.pid,
		(unsigned)l->holder.uid, l->state == LB_LEASE_ACTIVE ? "ended" : "refused", reason);
	l->state = LB_LEASE_FINISHED;
	if (li->timer) {
		wl_event_source_remove(li->timer);
		li->timer = NULL;
	}
	lease_emit(li, &l->events.finished, (void *)reason);
}

static void lease_grant(struct lease_impl *li)
{
	struct lb_lease *l = &li->pub;
	struct lb_broker *b = l->broker;
	uint32_t lessee = 0;
	int fd = lb_card_create_lease(l->card, l->outputs, l->n_outputs, &lessee);
	if (fd < 0) {
		char msg[128];
		snprintf(msg, sizeof(msg), "drmModeCreateLease failed: %s", strerror(-fd));
		lease_finish(li, msg);
		return;
	}
	/* The kernel hands out the lowest free lessee id: any other lease we
	 * still record with this id is necessarily dead already. */
	struct lb_lease *o, *tmp;
	wl_list_for_each_safe (o, tmp, &b->leases, link) {
		struct lease_impl *oi = impl(o);
		if (o != l && o->card == l->card && oi->lessee_alive && o->lessee_id == lessee) {
			oi->lessee_alive = false;
			lease_finish(oi, "lessee fd closed");
		}
	}
	l->lessee_id = lessee;
	li->lessee_alive = true;
	l->state = LB_LEASE_ACTIVE;
	for (size_t i = 0; i < l->n_outputs; i++)
		l->n_inputs += lb_inputs_open(b->inputs, l->outputs[i]->name,
					      l->inputs + l->n_inputs,
					      LC_LEASE_INPUT_MAX - l->n_inputs);
	if (li->timer) {
		wl_event_source_remove(li->timer);
		li->timer = NULL;
	}
	char outs[256];
	lease_outputs_str(l, outs, sizeof(outs));
	lc_info("lease %u granted: %s (lessee %u, %zu input device%s) to %s pid %d uid %u", l->id,
		outs, lessee, l->n_inputs, l->n_inputs == 1 ? "" : "s", l->via, (int)l->holder.pid,
		(unsigned)l->holder.uid);
	lease_emit(li, &l->events.granted, &fd);
	/* We keep no copy: the holder's close ends the lessee (LEASE=1). */
	close(fd);
}

static void lease_schedule(struct lease_impl *li);

static void key_done(void *data, bool ok, const uint8_t *key, const char *msg)
{
	struct lease_key *k = data;
	struct lease_impl *li = k->li;
	struct lb_lease *l = &li->pub;
	k->req = NULL;
	li->keys_pending--;
	if (key && l->state == LB_LEASE_PENDING) {
		memcpy(l->stream_keys[k->index].key, key, HXFR_STREAM_KEY_LEN);
		l->stream_keys[k->index].valid = true;
	} else if (!ok) {
		/* The lease is still useful without a key (its holder cannot
		 * stream it, though): grant it anyway and say why. */
		lc_warn("lease %u: no stream key for %s: %s", l->id, l->outputs[k->index]->name,
			msg ? msg : "exporter refused");
	}
	lease_schedule(li);
}

/* Once every output is on: a key per exporter scanout, so that the holder
 * can subscribe as soon as it has the fd. Returns the number in flight. */
static size_t lease_request_keys(struct lease_impl *li)
{
	struct lb_lease *l = &li->pub;
	struct lb_broker *b = l->broker;
	li->keys_requested = true;
	if (!b->exporter)
		return 0;
	for (size_t i = 0; i < l->n_outputs; i++) {
		struct lb_output *o = l->outputs[i];
		struct lease_key *k = &li->keys[i];
		k->li = li;
		k->index = i;
		if (!o->card->has_exporter || o->scanout_id < 0)
			continue;
		k->req = lb_exporter_stream_key(b->exporter, (uint32_t)o->scanout_id,
						b->cfg->enable_timeout_ms, key_done, k);
		if (!k->req) {
			lc_warn("lease %u: no stream key for %s: too many exporter requests in "
				"flight",
				l->id, o->name);
			continue;
		}
		k->asked = true;
		li->keys_pending++;
	}
	return li->keys_pending;
}

static void lease_progress(struct lease_impl *li)
{
	struct lb_lease *l = &li->pub;
	if (l->state != LB_LEASE_PENDING)
		return;
	for (size_t i = 0; i < l->n_outputs; i++)
		if (l->outputs[i]->state != LB_OUTPUT_ON)
			return;
	if (!li->keys_requested && lease_request_keys(li) > 0)
		return;
	if (li->keys_pending > 0)
		return;
	lease_grant(li);
}

static void lease_idle(void *data)
{
	struct lease_impl *li = data;
	li->idle = NULL;
	lease_progress(li);
}

static void lease_schedule(struct lease_impl *li)
{
	if (!li->idle)
		li->idle = wl_event_loop_add_idle(li->pub.broker->loop, lease_idle, li);
}

static int lease_timeout(void *data)
{
	struct lease_impl *li = data;
	struct lb_lease *l = &li->pub;
	char msg[160] = "the exporter gave no stream key in time";
	for (size_t i = 0; i < l->n_outputs; i++) {
		if (l->outputs[i]->state != LB_OUTPUT_ON) {
			snprintf(msg, sizeof(msg), "%s did not connect within %u ms",
				 l->outputs[i]->name, l->broker->cfg->enable_timeout_ms);
			break;
		}
	}
	wl_event_source_remove(li->timer);
	li->timer = NULL;
	lease_finish(li, msg);
	return 0;
}

/* The power control's reports (output_power.h): an output turning on is
 * connected, and its lease may be granted; or its ENABLE failed, and so does
 * its lease. */
static void power_output_on(void *data, struct lb_output *o)
{
	if (o->lease)
		lease_schedule(impl(o->lease));
}

static void power_failed(void *data, struct lb_output *o, const char *msg)
{
	if (o->lease)
		lease_finish(impl(o->lease), msg);
}

static unsigned count_leases_of(struct lb_broker *b, uid_t uid)
{
	unsigned n = 0;
	struct lb_lease *l;
	wl_list_for_each (l, &b->leases, link)
		if (l->holder.uid == uid && l->state != LB_LEASE_FINISHED)
			n++;
	return n;
}

/* Lower is cheaper to lease: connected (no enabling), then still on with
 * its DISABLE not sent yet (dropping it is enough), then off, then turning
 * off (enabling it again waits behind the DISABLE). */
static int pick_rank(const struct lb_output *o)
{
	switch (o->state) {
	case LB_OUTPUT_ON: return 0;
	case LB_OUTPUT_DISABLING: return lb_power_disable_unsent(o) ? 1 : 3;
	case LB_OUTPUT_OFF: return 2;
	case LB_OUTPUT_ENABLING: break;
	}
	return 4;
}

static struct lb_output *pick_output(struct lb_card *card)
{
	struct lb_output *best = NULL, *o;
	wl_list_for_each (o, &card->outputs, link)
		if (lb_output_is_offerable(o) && (!best || pick_rank(o) < pick_rank(best)))
			best = o;
	return best;
}

struct lb_lease *lb_lease_request(struct lb_broker *b, const struct lb_lease_params *p, char *err,
				  size_t err_len)
{
	struct lb_card *card = p->card ? p->card : lb_broker_default_card(b);
	if (!card) {
		snprintf(err, err_len, "no DRM card");
		return NULL;
	}
	if (!lb_broker_peer_allowed(b, &p->holder)) {
		snprintf(err, err_len, "uid %u may not lease outputs", (unsigned)p->holder.uid);
		return NULL;
	}
	if (p->holder.uid != 0 && b->cfg->max_leases_per_uid &&
	    count_leases_of(b, p->holder.uid) >= b->cfg->max_leases_per_uid) {
		snprintf(err, err_len, "uid %u already holds %u leases (the limit)",
			 (unsigned)p->holder.uid, b->cfg->max_leases_per_uid);
		return NULL;
	}
	if (p->n_outputs > LB_MAX_LEASE_OUTPUTS) {
		snprintf(err, err_len, "too many outputs in one lease");
		return NULL;
	}
	struct lb_output *outs[LB_MAX_LEASE_OUTPUTS];
	size_t n = p->n_outputs;
	for (size_t i = 0; i < n; i++) {
		struct lb_output *o = p->outputs[i];
		outs[i] = o;
		if (o->card != card) {
			snprintf(err, err_len, "%s is on another card", o->name);
			return NULL;
		}
		for (size_t j = 0; j < i; j++) {
			if (outs[j] == o) {
				snprintf(err, err_len, "%s requested twice", o->name);
				return NULL;
			}
		}
		if (o->reserved) {
			snprintf(err, err_len, "%s is reserved", o->name);
			return NULL;
		}
		if (o->lease) {
			snprintf(err, err_len, "%s is already leased", o->name);
			return NULL;
		}
		if (!lb_output_is_offerable(o)) {
			snprintf(err, err_len, "%s is not connected", o->name);
			return NULL;
		}
	}
	if (n == 0) {
		outs[0] = pick_output(card);
		if (!outs[0]) {
			snprintf(err, err_len, "no free output");
			return NULL;
		}
		n = 1;
	}
	struct lease_impl *li = calloc(1, sizeof(*li));
	if (!li) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	struct lb_lease *l = &li->pub;
	l->broker = b;
	l->card = card;
	l->id = ++b->next_lease_id;
	l->state = LB_LEASE_PENDING;
	l->holder = p->holder;
	snprintf(l->via, sizeof(l->via), "%s", p->via ? p->via : "?");
	wl_signal_init(&l->events.granted);
	wl_signal_init(&l->events.finished);
	wl_signal_init(&l->events.destroy);
	li->mode.width = p->width ? p->width : 1920;
	li->mode.height = p->height ? p->height : 1080;
	li->mode.refresh_hz = p->refresh_hz ? p->refresh_hz : DEFAULT_REFRESH_HZ;

	/* Turn on what is off, in the lease's mode; all or nothing. */
	for (size_t i = 0; i < n; i++) {
		l->outputs[i] = outs[i];
		outs[i]->lease = l;
	}
	l->n_outputs = n;
	bool enabling = false, touched[LB_MAX_LEASE_OUTPUTS] = {false};
	for (size_t i = 0; i < n; i++) {
		struct lb_output *o = outs[i];
		if (o->state == LB_OUTPUT_ON)
			continue;
		touched[i] = true;
		if (!lb_power_turn_on(o, &li->mode)) {
			for (size_t j = 0; j < i; j++)
				if (touched[j])
					lb_power_turn_off(outs[j]);
			for (size_t j = 0; j < n; j++)
				outs[j]->lease = NULL;
			free(li);
			snprintf(err, err_len, "too many exporter requests in flight");
			return NULL;
		}
		if (o->state == LB_OUTPUT_ENABLING) /* not when taken as on */
			enabling = true;
	}
	wl_list_insert(b->leases.prev, &l->link);
	if (enabling) {
		li->timer = wl_event_loop_add_timer(b->loop, lease_timeout, li);
		if (li->timer)
			wl_event_source_timer_update(li->timer, (int)b->cfg->enable_timeout_ms);
	}
	char outs_str[256];
	lease_outputs_str(l, outs_str, sizeof(outs_str));
	lc_info("lease %u requested: %s by %s pid %d uid %u%s", l->id, outs_str, l->via,
		(int)l->holder.pid, (unsigned)l->holder.uid, enabling ? " (turning on)" : "");
	for (size_t i = 0; i < n; i++)
		wl_signal_emit_mutable(&card->events.output_withdrawn, outs[i]);
	lease_schedule(li);
	return l;
}

/* Is the lessee still un-revoked in the kernel's list? -errno on failure. */
static int lessee_listed(struct lb_card *card, uint32_t lessee)
{
	uint32_t ids[MAX_LESSEES];
	int n = lb_card_list_lessees(card, ids, MAX_LESSEES);
	if (n < 0)
		return n;
	for (int i = 0; i < n && i < MAX_LESSEES; i++)
		if (ids[i] == lessee)
			return 1;
	return 0;
}

static void lease_destroy_now(struct lease_impl *li)
{
	struct lb_lease *l = &li->pub;
	struct lb_broker *b = l->broker;
	wl_signal_emit_mutable(&l->events.destroy, l);
	lease_revoke_inputs(l);
	lease_wipe_keys(l);
	if (li->timer)
		wl_event_source_remove(li->timer);
	if (li->idle)
		wl_event_source_remove(li->idle);
	if (li->lessee_alive) {
		/* Reconcile first: a lessee that is gone (holder closed the fd)
		 * must not be revoked by id. Ids are only reused through our own
		 * CreateLease, which marks the older holder dead. */
		int listed = lessee_listed(l->card, l->lessee_id);
		if (listed == 1) {
			int r = lb_card_revoke_lease(l->card, l->lessee_id);
			if (r < 0)
				lc_warn("lease %u: revoking lessee %u: %s", l->id, l->lessee_id,
					strerror(-r));
			else
				lc_info("lease %u: lessee %u revoked", l->id, l->lessee_id);
		} else if (listed < 0) {
			lc_warn("lease %u: cannot list lessees: %s", l->id, strerror(-listed));
		}
	}
	if (l->state != LB_LEASE_FINISHED)
		lc_info("lease %u released", l->id);
	wl_list_remove(&l->link);
	for (size_t i = 0; i < l->n_outputs; i++) {
		struct lb_output *o = l->outputs[i];
		struct lease_key *k = &li->keys[i];
		o->lease = NULL;
		lb_exporter_req_cancel(k->req);
		k->req = NULL;
		/* The key dies with the lease, before the output goes off (the
		 * DISABLE would kill it too, but a failed DISABLE must not leave
		 * a live key). Same connection, so it arrives first. */
		if (k->asked && b->exporter &&
		    !lb_exporter_revoke_key(b->exporter, (uint32_t)o->scanout_id,
					    b->cfg->enable_timeout_ms, NULL, NULL))
			lc_warn("lease %u: cannot queue the revoke of %s's stream key", l->id,
				o->name);
		lb_power_turn_off(o); /* offerable meanwhile */
		if (lb_output_is_offerable(o))
			wl_signal_emit_mutable(&o->card->events.output_offered, o);
	}
	free(li);
}

int lb_lease_auth_magic(struct lb_lease *l, uint32_t magic)
{
	if (!l->broker->cfg->auth_magic || l->state != LB_LEASE_ACTIVE)
		return -EPERM;
	if (magic == 0)
		return -EINVAL;
	if (l->magic_auths >= LB_MAX_MAGIC_AUTHS)
		return -EDQUOT;
	int r = lb_card_auth_magic(l->card, magic);
	if (r < 0) {
		lc_info("lease %u: DRM magic authentication for %s pid %d refused: %s", l->id,
			l->via, (int)l->holder.pid, strerror(-r));
		return r;
	}
	l->magic_auths++;
	lc_info("lease %u: authenticated a DRM magic on %s for %s pid %d uid %u (%u of %u)", l->id,
		l->card->path, l->via, (int)l->holder.pid, (unsigned)l->holder.uid, l->magic_auths,
		LB_MAX_MAGIC_AUTHS);
	return 0;
}

int lb_card_release_scanout(struct lb_card *card, int scanout, const struct lc_peer *by)
{
	struct lb_output *o;
	wl_list_for_each (o, &card->outputs, link) {
		if (o->scanout_id != scanout || !o->lease || o->lease->state == LB_LEASE_FINISHED)
			continue;
		struct lb_lease *l = o->lease;
		if (by->uid != 0 && by->uid != l->holder.uid)
			return -EPERM;
		char why[96];
		snprintf(why, sizeof(why), "released by pid %d uid %u", (int)by->pid,
			 (unsigned)by->uid);
		lease_finish(impl(l), why); /* its frontend destroys it on `finished` */
		return 0;
	}
	return -ENOENT;
}

void lb_lease_stream_key_hex(const struct lb_lease *l, size_t i,
			     char out[HXFR_STREAM_KEY_HEX_LEN + 1])
{
	out[0] = '\0';
	if (l->state != LB_LEASE_ACTIVE || i >= l->n_outputs || !l->stream_keys[i].valid)
		return;
	hxfr_stream_key_to_hex(l->stream_keys[i].key, out);
}

void lb_lease_destroy(struct lb_lease *lease)
{
	if (!lease)
		return;
	struct lease_impl *li = impl(lease);
	if (li->emitting) {
		li->destroy_requested = true;
		return;
	}
	lease_destroy_now(li);
}

static void handle_hotplug(void *data, dev_t dev)
{
	struct lb_broker *b = data;
	struct lb_card *card;
	wl_list_for_each (card, &b->cards, link) {
		if (card->dev != dev)
			continue;
		struct lb_output *o;
		wl_list_for_each (o, &card->outputs, link) {
			if (o->state == LB_OUTPUT_ENABLING) {
				lb_power_check_enabling(o);
				continue;
			}
			/* Notice changes made behind our back (host UI, another
			 * tool); leased outputs belong to their lessee. */
			if (o->lease || o->reserved || o->state == LB_OUTPUT_DISABLING)
				continue;
			int r = lb_card_probe_output(o);
			if (r < 0)
				continue;
			/* Unless it is one we turned off whose DISABLE the
			 * guest has yet to show: the power control's. */
			if (lb_power_probed_off(o, r == 1))
				continue;
			enum lb_output_state ns = r ? LB_OUTPUT_ON : LB_OUTPUT_OFF;
			if (ns == o->state)
				continue;
			bool was = lb_output_is_offerable(o);
			o->state = ns;
			lc_info("%s is now %s", o->name, r ? "connected" : "disconnected");
			bool now = lb_output_is_offerable(o);
			if (was != now)
				wl_signal_emit_mutable(now ? &card->events.output_offered
							   : &card->events.output_withdrawn,
						       o);
		}
		lb_power_hotplug(card->power); /* the next display change may go */
	}
}

static void handle_lease_event(void *data, dev_t dev)
{
	struct lb_broker *b = data;
	struct lb_card *card;
	wl_list_for_each (card, &b->cards, link) {
		if (card->dev != dev)
			continue;
		uint32_t ids[MAX_LESSEES];
		int n = lb_card_list_lessees(card, ids, MAX_LESSEES);
		if (n < 0) {
			lc_warn("%s: cannot list lessees: %s", card->path, strerror(-n));
			continue;
		}
		struct lb_lease *l, *tmp;
		wl_list_for_each_safe (l, tmp, &b->leases, link) {
			struct lease_impl *li = impl(l);
			if (l->card != card || !li->lessee_alive)
				continue;
			bool found = false;
			for (int i = 0; i < n && i < MAX_LESSEES; i++)
				found |= ids[i] == l->lessee_id;
			if (!found) {
				li->lessee_alive = false;
				lease_finish(li, "lessee fd closed");
			}
		}
	}
}

/* The card's display power control, on the real exporter link and probe. */
static bool card_power_create(struct lb_broker *b, struct lb_card *card)
{
	const struct lb_power_config cfg = {
		.card = card->path,
		.pacing = b->cfg->display_pacing,
		.request_timeout_ms = b->cfg->enable_timeout_ms,
		.reassert_first_ms = LB_POWER_REASSERT_FIRST_MS,
		.max_disable_reasserts = LB_POWER_MAX_DISABLE_REASSERTS,
		.pace_bound_ms = LB_POWER_PACE_BOUND_MS,
	};
	const struct lb_power_io io = {
		.link = card->has_exporter ? b->exporter : NULL,
		.enable = lb_exporter_enable,
		.disable = lb_exporter_disable,
		.cancel = lb_exporter_req_cancel,
		.probe = lb_card_probe_output,
	};
	const struct lb_power_events events = {
		.output_on = power_output_on,
		.failed = power_failed,
		.data = b,
	};
	card->power = lb_power_create(b->loop, &card->outputs, &cfg, &io, &events);
	return card->power != NULL;
}

static bool reserved_cb(void *data, const char *name)
{
	return lb_config_is_reserved(data, name);
}

struct lb_broker *lb_broker_create(struct wl_display *display, const struct lb_config *cfg,
				   char *err, size_t err_len)
{
	struct lb_broker *b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	b->display = display;
	b->loop = wl_display_get_event_loop(display);
	b->cfg = cfg;
	wl_list_init(&b->cards);
	wl_list_init(&b->leases);
	for (size_t i = 0; i < cfg->n_devices; i++) {
		struct lb_card *card = lb_card_open(b, cfg->devices[i], cfg->exporter != NULL,
						    reserved_cb, (void *)cfg, err, err_len);
		if (!card)
			goto fail;
		wl_list_insert(b->cards.prev, &card->link);
	}
	struct lb_uevent_handler h = {
		.hotplug = handle_hotplug, .lease = handle_lease_event, .data = b};
	b->uevent = lb_uevent_create(b->loop, &h);
	if (!b->uevent) {
		snprintf(err, err_len,
			 "cannot listen to kernel uevents (needed for hotplug and "
			 "lease ends): %s",
			 strerror(errno));
		goto fail;
	}
	b->inputs = lb_inputs_create(b->loop);
	if (!b->inputs) {
		snprintf(err, err_len, "cannot watch the input devices (udev): %s",
			 strerror(errno));
		goto fail;
	}
	if (cfg->exporter) {
		struct hxfr_key key;
		int r = 0;
		if (cfg->exporter_auth) {
			r = hxfr_key_load(cfg->control_key, &key, false);
			if (r < 0) {
				snprintf(err, err_len,
					 "cannot load the exporter control key %s: %s (or run with "
					 "--exporter-auth=none for an unauthenticated exporter)",
					 cfg->control_key, strerror(-r));
				goto fail;
			}
		}
		b->exporter = lb_exporter_link_create(b->loop, cfg->exporter,
						      cfg->exporter_auth ? &key : NULL);
		explicit_bzero(&key, sizeof(key));
		if (!b->exporter) {
			snprintf(err, err_len, "cannot set up the exporter link to %s",
				 cfg->exporter);
			goto fail;
		}
	}
	struct lb_card *card;
	wl_list_for_each (card, &b->cards, link) {
		if (!card_power_create(b, card)) {
			snprintf(err, err_len, "out of memory");
			goto fail;
		}
	}
	return b;
fail:
	lb_broker_destroy(b);
	return NULL;
}

void lb_broker_destroy(struct lb_broker *b)
{
	if (!b)
		return;
	struct lb_lease *l, *tmp;
	wl_list_for_each_safe (l, tmp, &b->leases, link) {
		lc_warn("lease %u still held at shutdown: ending it", l->id);
		lease_destroy_now(impl(l));
	}
	/* Last DISABLEs: no time to pace them, the link flushes what it has. */
	struct lb_card *card, *ctmp;
	wl_list_for_each (card, &b->cards, link)
		lb_power_flush(card->power);
	lb_exporter_link_destroy(b->exporter);
	lb_inputs_destroy(b->inputs);
	lb_uevent_destroy(b->uevent);
	wl_list_for_each_safe (card, ctmp, &b->cards, link) {
		/* Its exporter requests in flight are gone with the link. */
		lb_power_destroy(card->power);
		card->power = NULL;
		lb_card_destroy(card);
	}
	free(b);
}
