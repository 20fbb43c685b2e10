/* A page fault recording as a "vmatlas-faults" JSON document
 * (man/vmatlas-snapshot.5); the text is render/out_faults.c. */
#include "config.h"


#include "vmatlas/faults.h"
#include "vmatlas/json.h"

static void set(json_t *o, const char *k, json_t *v)
{
	if (v)
		json_object_set_new(o, k, v);
}

static json_t *types_to_json(const uint64_t *n)
{
	json_t *o = json_object();

	for (int t = 0; o && t < FT__COUNT; t++)
		set(o, fault_type_name((enum fault_type)t), json_integer((json_int_t)n[t]));
	return o;
}

static json_t *frame_to_json(const struct fault_frame *fr)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	set(o, "pc", json_hex64(fr->pc));
	json_set_text(o, "symbol", fr->symbol);
	set(o, "offset", json_integer((json_int_t)fr->offset));
	json_set_text(o, "object", fr->object);
	return o;
}

json_t *faults_to_json(const struct fault_report *r)
{
	json_t *d = json_object(), *procs = json_array(), *maps = json_array(),
	       *code = json_array();

	if (!d || !procs || !maps || !code) {
		json_decref(d);
		json_decref(procs);
		json_decref(maps);
		json_decref(code);
		return NULL;
	}
	set(d, "format", json_string(VMATLAS_FAULTS_FORMAT));
	set(d, "version", json_integer(VMATLAS_FAULTS_VERSION));
	set(d, "duration_s", json_real(r->duration_s));
	set(d, "sample", json_integer(r->sample));
	for (size_t i = 0; i < r->nprocs; i++) {
		const struct fault_proc *p = &r->procs[i];
		json_t *o = json_object();

		if (!o)
			continue;
		set(o, "pid", json_integer(p->pid));
		set(o, "ppid", p->ppid ? json_integer(p->ppid) : json_null());
		json_set_text(o, "comm", p->comm);
		set(o, "faults", json_integer((json_int_t)p->faults));
		set(o, "minor", json_integer((json_int_t)p->minor));
		set(o, "major", json_integer((json_int_t)p->major));
		set(o, "by_type", types_to_json(p->by_type));
		set(o, "kernel_delta", p->kernel_known ? json_integer((json_int_t)p->kernel_delta)
						       : json_null());
		set(o, "exited", json_boolean(p->exited));
		json_array_append_new(procs, o);
	}
	set(d, "processes", procs);
	set(d, "faults", json_integer((json_int_t)r->faults));
	set(d, "minor", json_integer((json_int_t)r->minor));
	set(d, "major", json_integer((json_int_t)r->major));
	set(d, "by_type", types_to_json(r->by_type));
	for (size_t i = 0; i < r->nmaps; i++) {
		const struct fault_mapping *m = &r->maps[i];
		json_t *o = json_object();

		if (!o)
			continue;
		set(o, "pid", json_integer(m->pid));
		set(o, "start", json_hex64(m->start));
		set(o, "end", json_hex64(m->end));
		set(o, "kind", json_string(vm_kind_name(m->kind)));
		json_set_text(o, "path", m->path);
		set(o, "deleted", json_boolean(m->deleted));
		set(o, "faults", json_integer((json_int_t)m->faults));
		for (int t = 0; t < FT__COUNT; t++)
			set(o, fault_type_name((enum fault_type)t),
			    json_integer((json_int_t)m->by_type[t]));
		json_array_append_new(maps, o);
	}
	set(d, "by_mapping", maps);
	for (size_t i = 0; i < r->ncode; i++) {
		const struct fault_code *c = &r->code[i];
		json_t *o = json_object();

		if (!o)
			continue;
		set(o, "pid", json_integer(c->pid));
		set(o, "ip", json_hex64(c->ip));
		json_set_text(o, "symbol", c->symbol);
		set(o, "offset", json_integer((json_int_t)c->offset));
		json_set_text(o, "object", c->object);
		set(o, "type", json_string(fault_type_name(c->type)));
		set(o, "count", json_integer((json_int_t)c->count));
		if (c->ncallers || c->chain_cut) {
			json_t *a = json_array();

			for (size_t k = 0; a && k < c->ncallers; k++)
				json_array_append_new(a, frame_to_json(&c->callers[k]));
			set(o, "callers", a);
			set(o, "chain_cut", json_boolean(c->chain_cut));
		}
		json_array_append_new(code, o);
	}
	set(d, "by_code", code);
	set(d, "unclassified", json_integer((json_int_t)r->unclassified));
	set(d, "uncounted", json_integer((json_int_t)r->uncounted));
	set(d, "lost", json_integer((json_int_t)r->lost));
	return d;
}
