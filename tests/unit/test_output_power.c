/* The broker's display power control (lease-broker/output_power.c) on a real
 * wl_event_loop, without a VM: one change in flight per card, FIFO order, at
 * most one queued change per output, queued changes dropped when no longer
 * needed, the next change sent once the last is reflected or after the
 * pacing bound, re-asserts of a lost ENABLE (doubling, for as long as the
 * output is wanted on) and of a lost DISABLE (bounded), --no-display-pacing,
 * and nothing re-asserted on the normal path.
 *
 * The exporter link and the guest here are a FAKE: a fault-injection driver
 * standing in for the host (QEMU + exporter, which answer SCANOUT_RESP) and
 * the guest kernel (its connector status and HOTPLUG uevents), which a unit
 * test cannot have. The test decides when the host answers, whether the
 * guest sees the change (a lost display event: the host confirms, the guest
 * shows nothing), and when a HOTPLUG arrives. The VM tests
 * (vm-broker-recovery, vm-broker-race) cover the real parts. */
#include <stdlib.h>

#include "check.h"
#include "clock.h"
#include "log.h"
#include "output_power.h"

#define N_OUTPUTS 4
#define MAX_REQS 64
/* Ceiling for anything the loop must bring about: generous, for a loaded
 * machine; a condition met earlier ends the wait at once. */
#define CEILING_MS 10000.0

/* ---- the fake host: the exporter link ---------------------------------- */

struct lb_exporter_req {
	bool enable;
	uint32_t scanout_id, width, height, refresh_hz;
	unsigned timeout_ms;
	lb_exporter_cb cb;
	void *data;
	bool cancelled, answered;
	double sent_ms, answered_ms;
};

struct lb_exporter_link {
	struct lb_exporter_req reqs[MAX_REQS]; /* every request, in send order */
	int n;
	int refuse; /* this many next requests find the link's queue full */
};

static struct lb_exporter_req *fake_queue(struct lb_exporter_link *l, bool enable, uint32_t id,
					  unsigned timeout_ms, lb_exporter_cb cb, void *data)
{
	if (l->refuse > 0) {
		l->refuse--;
		return NULL;
	}
	if (l->n == MAX_REQS)
		return NULL;
	struct lb_exporter_req *r = &l->reqs[l->n++];
	*r = (struct lb_exporter_req){.enable = enable,
				      .scanout_id = id,
				      .timeout_ms = timeout_ms,
				      .cb = cb,
				      .data = data,
				      .sent_ms = lc_now_ms_f()};
	return r;
}

static struct lb_exporter_req *fake_enable(struct lb_exporter_link *l, uint32_t id, uint32_t w,
					   uint32_t h, uint32_t hz, unsigned timeout_ms,
					   lb_exporter_cb cb, void *data)
{
	struct lb_exporter_req *r = fake_queue(l, true, id, timeout_ms, cb, data);
	if (r) {
		r->width = w;
		r->height = h;
		r->refresh_hz = hz;
	}
	return r;
}

static struct lb_exporter_req *fake_disable(struct lb_exporter_link *l, uint32_t id,
					    unsigned timeout_ms, lb_exporter_cb cb, void *data)
{
	return fake_queue(l, false, id, timeout_ms, cb, data);
}

static void fake_cancel(struct lb_exporter_req *r)
{
	if (r)
		r->cancelled = true;
}

/* ---- the fake guest: connector status as a full probe reports it -------- */

struct fake_output {
	struct lb_output o;
	bool connected; /* what the guest shows */
	bool leased;    /* what the broker wants */
	int probes;
	int on_reports, failed_reports;
	char failure[128];
};

static int fake_probe(struct lb_output *o)
{
	struct fake_output *fo = wl_container_of(o, fo, o);
	fo->probes++;
	return fo->connected ? 1 : 0;
}

/* ---- the broker's side ------------------------------------------------- */

struct test {
	struct wl_event_loop *loop;
	struct lb_exporter_link link;
	struct fake_output out[N_OUTPUTS];
	struct wl_list outputs;
	struct lb_power_config cfg;
	struct lb_power *power;
	bool release_on_failure; /* as the broker's frontends do after `finished` */
};

static const struct lb_power_mode mode = {1280, 720, 60};

static void release(struct fake_output *fo);

static void on_output_on(void *data, struct lb_output *o)
{
	struct fake_output *fo = wl_container_of(o, fo, o);
	CHECK_EQ(o->state, LB_OUTPUT_ON);
	fo->on_reports++;
}

static void on_failed(void *data, struct lb_output *o, const char *msg)
{
	struct test *t = data;
	struct fake_output *fo = wl_container_of(o, fo, o);
	CHECK_EQ(o->state, LB_OUTPUT_OFF);
	fo->failed_reports++;
	snprintf(fo->failure, sizeof(fo->failure), "%s", msg);
	if (t->release_on_failure)
		release(fo); /* from inside the report, as lease_finish may */
}

/* Fast intervals (the unit takes them as parameters): the lost-event tests
 * wait for a few of them. test_production_intervals runs the real ones. */
static struct lb_power_config fast_cfg(void)
{
	return (struct lb_power_config){.card = "fake-card",
					.pacing = true,
					.request_timeout_ms = 4321,
					.reassert_first_ms = 60,
					.max_disable_reasserts = 3,
					.pace_bound_ms = 50};
}

/* Outputs Virtual-2.. with scanouts 1.., off, or on when their bit in on_mask
 * is set (as the card's first probe found them). */
static void setup(struct test *t, const struct lb_power_config *cfg, unsigned on_mask)
{
	*t = (struct test){.cfg = *cfg};
	t->loop = wl_event_loop_create();
	wl_list_init(&t->outputs);
	for (int i = 0; i < N_OUTPUTS; i++) {
		struct fake_output *fo = &t->out[i];
		snprintf(fo->o.name, sizeof(fo->o.name), "Virtual-%d", i + 2);
		fo->o.scanout_id = i + 1;
		fo->connected = on_mask & (1u << i);
		fo->o.state = fo->connected ? LB_OUTPUT_ON : LB_OUTPUT_OFF;
		wl_list_insert(t->outputs.prev, &fo->o.link);
	}
	const struct lb_power_io io = {.link = &t->link,
				       .enable = fake_enable,
				       .disable = fake_disable,
				       .cancel = fake_cancel,
				       .probe = fake_probe};
	const struct lb_power_events ev = {
		.output_on = on_output_on, .failed = on_failed, .data = t};
	t->power = lb_power_create(t->loop, &t->outputs, &t->cfg, &io, &ev);
	CHECK(t->power != NULL);
	for (int i = 0; i < N_OUTPUTS; i++)
		CHECK(t->out[i].o.power != NULL);
}

static void teardown(struct test *t)
{
	lb_power_destroy(t->power);
	for (int i = 0; i < N_OUTPUTS; i++)
		CHECK(t->out[i].o.power == NULL);
	wl_event_loop_destroy(t->loop);
}

/* lb_lease_request's part: an output that is on is leased as it is. */
static bool lease(struct fake_output *fo)
{
	fo->leased = true;
	if (fo->o.state == LB_OUTPUT_ON)
		return true;
	if (lb_power_turn_on(&fo->o, &mode))
		return true;
	fo->leased = false;
	return false;
}

/* lease_destroy_now's part. */
static void release(struct fake_output *fo)
{
	fo->leased = false;
	lb_power_turn_off(&fo->o);
}

/* broker.c's handle_hotplug, calling the unit as it does. */
static void hotplug(struct test *t)
{
	for (int i = 0; i < N_OUTPUTS; i++) {
		struct fake_output *fo = &t->out[i];
		struct lb_output *o = &fo->o;
		if (o->state == LB_OUTPUT_ENABLING) {
			lb_power_check_enabling(o);
			continue;
		}
		if (fo->leased || o->state == LB_OUTPUT_DISABLING)
			continue;
		int r = fake_probe(o);
		if (lb_power_probed_off(o, r == 1))
			continue;
		o->state = r ? LB_OUTPUT_ON : LB_OUTPUT_OFF; /* behind our back */
	}
	lb_power_hotplug(t->power);
}

static struct fake_output *by_scanout(struct test *t, uint32_t id)
{
	return &t->out[id - 1];
}

/* The host answers the request. */
static void reply(struct test *t, struct lb_exporter_req *r, bool ok)
{
	CHECK(!r->answered && !r->cancelled);
	if (r->answered || r->cancelled)
		return;
	r->answered = true;
	r->answered_ms = lc_now_ms_f();
	r->cb(r->data, ok, ok ? NULL : "the fake host refused");
}

/* The host did it but the guest lost the display event. */
static void lose(struct test *t, struct lb_exporter_req *r)
{
	reply(t, r, true);
}

/* The normal path: the host does it, the guest shows it and sends HOTPLUG;
 * resp_first: the SCANOUT_RESP arrives before the uevent (either happens). */
static void deliver_order(struct test *t, struct lb_exporter_req *r, bool resp_first)
{
	if (resp_first)
		reply(t, r, true);
	by_scanout(t, r->scanout_id)->connected = r->enable;
	hotplug(t);
	if (!resp_first)
		reply(t, r, true);
}

static void deliver(struct test *t, struct lb_exporter_req *r)
{
	deliver_order(t, r, true);
}

static struct lb_exporter_req *req(struct test *t, int i)
{
	static struct lb_exporter_req none = {.cancelled = true};
	CHECK(i < t->link.n);
	return i < t->link.n ? &t->link.reqs[i] : &none;
}

static bool is_req(struct test *t, int i, bool enable, const struct fake_output *fo)
{
	return i < t->link.n && t->link.reqs[i].enable == enable &&
	       t->link.reqs[i].scanout_id == (uint32_t)fo->o.scanout_id;
}

/* Dispatches the loop until cond holds (at most CEILING_MS), then checks it. */
#define CHECK_SOON(t, cond)                                    \
	do {                                                   \
		double until_ = lc_now_ms_f() + CEILING_MS;    \
		while (!(cond) && lc_now_ms_f() < until_)      \
			wl_event_loop_dispatch((t)->loop, 10); \
		CHECK(cond);                                   \
	} while (0)

/* Runs the loop for ms, for checks that something does NOT happen: a timer
 * never fires early, so whatever is due within ms has had its chance. */
static void run_for(struct test *t, double ms)
{
	double until = lc_now_ms_f() + ms;
	for (double now = lc_now_ms_f(); now < until; now = lc_now_ms_f())
		wl_event_loop_dispatch(t->loop, (int)(until - now) + 1);
}

static void test_one_in_flight_fifo(void)
{
	struct test t;
	struct lb_power_config cfg = fast_cfg();
	cfg.pace_bound_ms = 60000; /* only reflection lets the next go */
	cfg.reassert_first_ms = 60000;
	setup(&t, &cfg, 0);
	struct fake_output *a = &t.out[0], *b = &t.out[1], *c = &t.out[2];
	CHECK(lease(c));
	CHECK(lease(a));
	CHECK(lease(b));
	CHECK_EQ(t.link.n, 1); /* one change in flight, two waiting */
	CHECK(is_req(&t, 0, true, c));
	CHECK_EQ(req(&t, 0)->width, 1280);
	CHECK_EQ(req(&t, 0)->height, 720);
	CHECK_EQ(req(&t, 0)->refresh_hz, 60);
	CHECK_EQ(req(&t, 0)->timeout_ms, cfg.request_timeout_ms);
	CHECK_EQ(a->o.state, LB_OUTPUT_ENABLING);
	CHECK_EQ(b->o.state, LB_OUTPUT_ENABLING);
	CHECK_EQ(c->o.state, LB_OUTPUT_ENABLING);

	/* The host's answer alone is not the guest's: nothing more goes. */
	reply(&t, req(&t, 0), true);
	CHECK_EQ(t.link.n, 1);
	/* The guest shows it: reported on, and the next in FIFO order goes. */
	c->connected = true;
	hotplug(&t);
	CHECK_EQ(c->o.state, LB_OUTPUT_ON);
	CHECK_EQ(c->on_reports, 1);
	CHECK_EQ(t.link.n, 2);
	CHECK(is_req(&t, 1, true, a));

	/* The uevent may come before the SCANOUT_RESP. */
	deliver_order(&t, req(&t, 1), false);
	CHECK_EQ(a->o.state, LB_OUTPUT_ON);
	CHECK_EQ(a->on_reports, 1);
	CHECK_EQ(t.link.n, 3);
	CHECK(is_req(&t, 2, true, b));
	deliver(&t, req(&t, 2));
	CHECK_EQ(b->o.state, LB_OUTPUT_ON);
	CHECK_EQ(t.link.n, 3);

	/* Off in the same way: one DISABLE at a time, FIFO. */
	release(b);
	release(c);
	CHECK_EQ(t.link.n, 4);
	CHECK(is_req(&t, 3, false, b));
	CHECK_EQ(b->o.state, LB_OUTPUT_DISABLING);
	CHECK_EQ(c->o.state, LB_OUTPUT_DISABLING);
	deliver(&t, req(&t, 3));
	CHECK_EQ(b->o.state, LB_OUTPUT_OFF);
	CHECK_EQ(t.link.n, 5);
	CHECK(is_req(&t, 4, false, c));
	deliver(&t, req(&t, 4));
	CHECK_EQ(c->o.state, LB_OUTPUT_OFF);
	CHECK_EQ(t.link.n, 5);
	for (int i = 0; i < t.link.n; i++)
		CHECK(t.link.reqs[i].answered);
	teardown(&t);
}

static void test_pace_bound(void)
{
	struct test t;
	struct lb_power_config cfg = fast_cfg();
	cfg.reassert_first_ms = 60000; /* only the pacing bound acts */
	setup(&t, &cfg, 0);
	struct fake_output *a = &t.out[0], *b = &t.out[1];
	CHECK(lease(a));
	CHECK(lease(b));
	CHECK_EQ(t.link.n, 1);
	lose(&t, req(&t, 0)); /* the guest never shows A */
	CHECK_EQ(t.link.n, 1);
	hotplug(&t); /* some other uevent: A still not reflected */
	CHECK_EQ(t.link.n, 1);
	CHECK_SOON(&t, t.link.n == 2);
	CHECK(is_req(&t, 1, true, b));
	CHECK(req(&t, 1)->sent_ms - req(&t, 0)->sent_ms >= cfg.pace_bound_ms);
	deliver(&t, req(&t, 1));
	CHECK_EQ(b->o.state, LB_OUTPUT_ON);
	CHECK_EQ(a->o.state, LB_OUTPUT_ENABLING);
	teardown(&t);
}

static void test_queued_changes_dropped(void)
{
	struct test t;
	struct lb_power_config cfg = fast_cfg();
	cfg.pace_bound_ms = 60000;
	cfg.reassert_first_ms = 60000;
	setup(&t, &cfg, 1u << 1); /* B is on */
	struct fake_output *a = &t.out[0], *b = &t.out[1], *c = &t.out[2];
	CHECK(lease(a)); /* ENABLE A in flight */
	CHECK_EQ(t.link.n, 1);

	/* B's DISABLE waits behind A's ENABLE... */
	CHECK(lease(b));
	release(b);
	CHECK_EQ(b->o.state, LB_OUTPUT_DISABLING);
	CHECK(lb_power_disable_unsent(&b->o));
	/* ...so a new lease of B takes it as it is: on, nothing sent. */
	CHECK(lease(b));
	CHECK_EQ(b->o.state, LB_OUTPUT_ON);
	CHECK(!lb_power_disable_unsent(&b->o));

	/* An ENABLE still queued when its lease ends is removed. */
	CHECK(lease(c));
	CHECK_EQ(c->o.state, LB_OUTPUT_ENABLING);
	release(c);
	CHECK_EQ(c->o.state, LB_OUTPUT_OFF);
	CHECK_EQ(t.link.n, 1);
	deliver(&t, req(&t, 0));
	CHECK_EQ(a->o.state, LB_OUTPUT_ON);
	CHECK_EQ(t.link.n, 1); /* nothing was left to send */

	/* At most one queued change per output, whatever the broker asks. */
	release(a); /* DISABLE A in flight */
	CHECK_EQ(t.link.n, 2);
	CHECK(lease(c));
	release(c);
	CHECK(lease(c));
	release(b);
	CHECK(lease(b)); /* its DISABLE dropped again */
	release(b);
	CHECK_EQ(t.link.n, 2);
	deliver(&t, req(&t, 1));
	CHECK_EQ(t.link.n, 3);
	CHECK(is_req(&t, 2, true, c));
	deliver(&t, req(&t, 2));
	CHECK_EQ(c->o.state, LB_OUTPUT_ON);
	CHECK_EQ(t.link.n, 4);
	CHECK(is_req(&t, 3, false, b));
	deliver(&t, req(&t, 3));
	CHECK_EQ(b->o.state, LB_OUTPUT_OFF);
	CHECK_EQ(t.link.n, 4);
	CHECK_EQ(b->on_reports, 0); /* never turned on by us */
	teardown(&t);
}

static void test_lost_enable(void)
{
	struct test t;
	struct lb_power_config cfg = fast_cfg();
	setup(&t, &cfg, 0);
	struct fake_output *a = &t.out[0], *b = &t.out[1];
	unsigned first = cfg.reassert_first_ms;
	CHECK(lease(a));
	lose(&t, req(&t, 0));
	CHECK_SOON(&t, t.link.n == 2);
	CHECK(is_req(&t, 1, true, a));
	CHECK(req(&t, 1)->sent_ms - req(&t, 0)->answered_ms >= first);
	lose(&t, req(&t, 1));
	CHECK_SOON(&t, t.link.n == 3);
	CHECK(is_req(&t, 2, true, a));
	CHECK(req(&t, 2)->sent_ms - req(&t, 1)->answered_ms >= 2 * first); /* doubling */
	CHECK_EQ(a->o.state, LB_OUTPUT_ENABLING);
	CHECK_EQ(a->on_reports, 0);
	deliver(&t, req(&t, 2));
	CHECK_EQ(a->o.state, LB_OUTPUT_ON);
	CHECK_EQ(a->on_reports, 1);
	run_for(&t, 8.0 * first); /* past the next interval: nothing more */
	CHECK_EQ(t.link.n, 3);

	/* Re-asserted for as long as the broker wants it on: its lease's
	 * deadline (--enable-timeout-ms) ends that. */
	CHECK(lease(b));
	CHECK(is_req(&t, t.link.n - 1, true, b));
	for (int k = 0; k < 3; k++) {
		int n = t.link.n;
		lose(&t, req(&t, n - 1));
		CHECK_SOON(&t, t.link.n == n + 1);
		CHECK(is_req(&t, n, true, b));
	}
	int n = t.link.n;
	release(b); /* the deadline, with the last ENABLE in flight */
	CHECK(req(&t, n - 1)->cancelled);
	CHECK_EQ(b->o.state, LB_OUTPUT_DISABLING);
	CHECK_SOON(&t, t.link.n == n + 1);
	CHECK(is_req(&t, n, false, b));
	deliver(&t, req(&t, n));
	CHECK_EQ(b->o.state, LB_OUTPUT_OFF);
	n = t.link.n;
	run_for(&t, 16.0 * first);
	CHECK_EQ(t.link.n, n); /* no ENABLE after the lease ended */
	CHECK_EQ(b->o.state, LB_OUTPUT_OFF);
	CHECK_EQ(b->on_reports, 0);
	CHECK_EQ(b->failed_reports, 0);

	/* A lost HOTPLUG uevent instead: the guest shows it, nobody said so.
	 * The check before re-asserting finds it on: nothing re-sent. */
	struct fake_output *c = &t.out[2];
	CHECK(lease(c));
	n = t.link.n;
	reply(&t, req(&t, n - 1), true);
	c->connected = true;
	CHECK_SOON(&t, c->o.state == LB_OUTPUT_ON);
	CHECK_EQ(c->on_reports, 1);
	run_for(&t, 4.0 * first);
	CHECK_EQ(t.link.n, n);
	teardown(&t);
}

static void test_lost_disable(void)
{
	struct test t;
	struct lb_power_config cfg = fast_cfg();
	setup(&t, &cfg, 0x3); /* A and B on */
	struct fake_output *a = &t.out[0], *b = &t.out[1];
	unsigned first = cfg.reassert_first_ms;
	CHECK(lease(a));
	release(a);
	CHECK_EQ(t.link.n, 1);
	CHECK(is_req(&t, 0, false, a));
	/* Every DISABLE lost: re-sent after first, 2 first, 4 first (each
	 * time a probe 750 ms-like after the host's confirmation still shows
	 * it connected), at most max_disable_reasserts times. */
	for (unsigned k = 1; k <= cfg.max_disable_reasserts; k++) {
		lose(&t, req(&t, t.link.n - 1));
		CHECK_EQ(a->o.state, LB_OUTPUT_OFF);
		CHECK_SOON(&t, t.link.n == (int)k + 1);
		CHECK(is_req(&t, (int)k, false, a));
		CHECK(req(&t, (int)k)->sent_ms - req(&t, (int)k - 1)->answered_ms >=
		      (double)(first << (k - 1)));
		CHECK_EQ(a->o.state, LB_OUTPUT_DISABLING);
	}
	/* The last one lost too: probed once more, then given up. */
	int probes = a->probes;
	lose(&t, req(&t, t.link.n - 1));
	CHECK_SOON(&t, a->probes > probes);
	CHECK(lc_now_ms_f() - req(&t, t.link.n - 1)->answered_ms >=
	      (double)(first << cfg.max_disable_reasserts));
	run_for(&t, 4.0 * first);
	CHECK_EQ(t.link.n, 1 + (int)cfg.max_disable_reasserts);
	CHECK_EQ(a->o.state, LB_OUTPUT_OFF);
	/* Then taken as turned on by someone else: the next HOTPLUG shows it. */
	hotplug(&t);
	CHECK_EQ(a->o.state, LB_OUTPUT_ON);
	CHECK_EQ(t.link.n, 1 + (int)cfg.max_disable_reasserts);

	/* A later HOTPLUG's probe finds it before the timer does: re-sent
	 * then (after the lost one's pacing bound: it is still in flight). */
	CHECK(lease(b));
	release(b);
	int n = t.link.n;
	CHECK(is_req(&t, n - 1, false, b));
	lose(&t, req(&t, n - 1));
	CHECK_EQ(b->o.state, LB_OUTPUT_OFF);
	hotplug(&t);
	CHECK_EQ(b->o.state, LB_OUTPUT_DISABLING); /* the HOTPLUG's doing */
	CHECK_SOON(&t, t.link.n == n + 1);
	CHECK(is_req(&t, n, false, b));
	deliver(&t, req(&t, n));
	CHECK_EQ(b->o.state, LB_OUTPUT_OFF);
	run_for(&t, 6.0 * first);
	CHECK_EQ(t.link.n, n + 1);
	teardown(&t);
}

static void test_unpaced(void)
{
	struct test t;
	struct lb_power_config cfg = fast_cfg();
	cfg.pacing = false; /* --no-display-pacing */
	setup(&t, &cfg, 0);
	struct fake_output *a = &t.out[0], *b = &t.out[1], *c = &t.out[2];
	CHECK(lease(a));
	CHECK(lease(b));
	CHECK(lease(c));
	CHECK_EQ(t.link.n, 3); /* all at once */
	CHECK(is_req(&t, 0, true, a));
	CHECK(is_req(&t, 1, true, b));
	CHECK(is_req(&t, 2, true, c));
	deliver(&t, req(&t, 0));
	lose(&t, req(&t, 1));
	deliver(&t, req(&t, 2));
	CHECK_EQ(a->o.state, LB_OUTPUT_ON);
	CHECK_EQ(c->o.state, LB_OUTPUT_ON);
	/* The re-asserts still recover. */
	CHECK_SOON(&t, t.link.n == 4);
	CHECK(is_req(&t, 3, true, b));
	CHECK(req(&t, 3)->sent_ms - req(&t, 1)->answered_ms >= cfg.reassert_first_ms);
	deliver(&t, req(&t, 3));
	CHECK_EQ(b->o.state, LB_OUTPUT_ON);
	release(a);
	release(b);
	release(c);
	CHECK_EQ(t.link.n, 7);
	for (int i = 4; i < 7; i++)
		CHECK(!req(&t, i)->enable);
	teardown(&t);
}

static void test_normal_path_quiet(void)
{
	struct test t;
	struct lb_power_config cfg = fast_cfg();
	setup(&t, &cfg, 0);
	int sent = 0;
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < N_OUTPUTS; i++)
			CHECK(lease(&t.out[i]));
		for (int i = 0; i < N_OUTPUTS; i++) {
			CHECK_EQ(t.link.n, sent + 1);
			deliver_order(&t, req(&t, sent), (round + i) % 2);
			sent++;
		}
		for (int i = 0; i < N_OUTPUTS; i++) {
			CHECK_EQ(t.out[i].o.state, LB_OUTPUT_ON);
			release(&t.out[i]);
		}
		for (int i = 0; i < N_OUTPUTS; i++) {
			CHECK_EQ(t.link.n, sent + 1);
			deliver_order(&t, req(&t, sent), (round + i) % 2);
			sent++;
		}
	}
	run_for(&t, 4.0 * cfg.reassert_first_ms);
	CHECK_EQ(t.link.n, sent); /* nothing re-asserted */
	for (int i = 0; i < N_OUTPUTS; i++) {
		CHECK_EQ(t.out[i].o.state, LB_OUTPUT_OFF);
		CHECK_EQ(t.out[i].on_reports, 3);
		CHECK_EQ(t.out[i].failed_reports, 0);
	}
	teardown(&t);
}

static void test_failures(void)
{
	struct test t;
	struct lb_power_config cfg = fast_cfg();
	cfg.pace_bound_ms = 60000;
	cfg.reassert_first_ms = 60000;
	setup(&t, &cfg, 0);
	struct fake_output *a = &t.out[0], *b = &t.out[1], *c = &t.out[2];
	/* The link's queue is full: refused at once, the output stays off. */
	t.link.refuse = 1;
	CHECK(!lease(a));
	CHECK_EQ(a->o.state, LB_OUTPUT_OFF);
	CHECK_EQ(t.link.n, 0);

	/* The host refuses an ENABLE: reported, and since nothing changed in
	 * the guest the next change goes at once. */
	t.release_on_failure = true;
	CHECK(lease(a));
	CHECK(lease(b));
	reply(&t, req(&t, 0), false);
	CHECK_EQ(a->failed_reports, 1);
	CHECK_STR(a->failure, "the fake host refused");
	CHECK_EQ(t.link.n, 2);
	CHECK(is_req(&t, 1, true, b));

	/* A's DISABLE (its lease ended from the report) waits behind B. */
	CHECK_EQ(a->o.state, LB_OUTPUT_DISABLING);
	deliver(&t, req(&t, 1));
	CHECK_EQ(b->o.state, LB_OUTPUT_ON);
	CHECK_EQ(t.link.n, 3);
	CHECK(is_req(&t, 2, false, a));

	/* A queued ENABLE that finds the link full when its turn comes. */
	CHECK(lease(c));
	CHECK_EQ(c->o.state, LB_OUTPUT_ENABLING);
	t.link.refuse = 1;
	deliver(&t, req(&t, 2));
	CHECK_EQ(a->o.state, LB_OUTPUT_OFF);
	CHECK_EQ(c->failed_reports, 1);
	CHECK_STR(c->failure, "too many exporter requests in flight");
	CHECK(!c->leased);
	CHECK_EQ(b->failed_reports, 0);
	teardown(&t);
}

/* The broker's intervals, as doc/DESIGN.md states them. */
static void test_production_intervals(void)
{
	CHECK_EQ(LB_POWER_REASSERT_FIRST_MS, 750);
	CHECK_EQ(LB_POWER_PACE_BOUND_MS, 250);
	CHECK_EQ(LB_POWER_MAX_DISABLE_REASSERTS, 3);
	struct test t;
	struct lb_power_config cfg = {.card = "fake-card",
				      .pacing = true,
				      .request_timeout_ms = 5000,
				      .reassert_first_ms = LB_POWER_REASSERT_FIRST_MS,
				      .max_disable_reasserts = LB_POWER_MAX_DISABLE_REASSERTS,
				      .pace_bound_ms = LB_POWER_PACE_BOUND_MS};
	setup(&t, &cfg, 0);
	struct fake_output *a = &t.out[0], *b = &t.out[1];
	CHECK(lease(a));
	CHECK(lease(b));
	lose(&t, req(&t, 0));
	CHECK_SOON(&t, t.link.n >= 2);
	CHECK(is_req(&t, 1, true, b));
	CHECK(req(&t, 1)->sent_ms - req(&t, 0)->sent_ms >= 250);
	deliver(&t, req(&t, 1));
	CHECK_SOON(&t, t.link.n >= 3);
	CHECK(is_req(&t, 2, true, a));
	CHECK(req(&t, 2)->sent_ms - req(&t, 0)->answered_ms >= 750);
	deliver(&t, req(&t, 2));
	CHECK_EQ(a->o.state, LB_OUTPUT_ON);
	teardown(&t);
}

int main(void)
{
	lc_log_init("test_output_power", LC_LOG_INFO);
	test_one_in_flight_fifo();
	test_pace_bound();
	test_queued_changes_dropped();
	test_lost_enable();
	test_lost_disable();
	test_unpaced();
	test_normal_path_quiet();
	test_failures();
	test_production_intervals();
	return check_report();
}
