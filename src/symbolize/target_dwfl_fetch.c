/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Debug files that arrive during a session (fetched by build-id): which modules
 * ask for one, and naming a module from its file once it is there. libdwfl
 * cannot give a module another debug file once it looked for one, so the file
 * gets a small session of its own, and the module's addresses are named there. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/debuginfod_fetch.h"
#include "symbolize/target_dwfl_impl.h"

/* The fetched file carries its own DWARF: nothing to look for. */
static int side_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			       Dwarf_Addr base, const char *file_name, const char *debuglink_file,
			       GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	return -1;
}

static const Dwfl_Callbacks side_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = side_find_debuginfo,
    .section_address = dwfl_offline_section_address,
};

void target_dwfl__fetch_debuginfo(struct target_dwfl *t, struct dbgfetch *f)
{
	t->fetch = f;
}

/* Whether mod's file leaves a debug file to fetch: it has a build-id, and no
 * DWARF was found for it. The vDSO's is the kernel's business. */
static bool needs_debuginfo(Dwfl_Module *mod, const unsigned char **id, int *len)
{
	const char *name = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	GElf_Addr vaddr;
	Dwarf_Addr bias;

	if (!name || !strncmp(name, "[vdso", 5))
		return false;
	*len = dwfl_module_build_id(mod, id, &vaddr);
	return *len > 0 && !dwfl_module_getdwarf(mod, &bias);
}

/* Open the session over path for fm: the file must hold DWARF and carry the
 * module's build-id. 0, -ENOMEM or -ENOEXEC. */
static int side_open(struct fetch_mod *fm, const char *path)
{
	const char *name = dwfl_module_info(fm->mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	const unsigned char *id, *sid;
	GElf_Addr vaddr;
	Dwarf_Addr bias;
	Dwfl *d = dwfl_begin(&side_callbacks);

	if (!d)
		return -ENOMEM;
	dwfl_report_begin(d);
	/* fd -1: libdwfl opens the file and closes it with d. */
	Dwfl_Module *sm = dwfl_report_elf(d, name ? name : path, path, -1, 0, false);
	dwfl_report_end(d, NULL, NULL);
	int len = dwfl_module_build_id(fm->mod, &id, &vaddr);
	if (!sm || !dwfl_module_getdwarf(sm, &bias) || len <= 0 ||
	    dwfl_module_build_id(sm, &sid, &vaddr) != len || memcmp(id, sid, (size_t)len)) {
		dwfl_end(d);
		return -ENOEXEC;
	}
	fm->side = d;
	fm->smod = sm;
	fm->bias = target_dwfl_module_bias(fm->mod);
	fm->sbias = target_dwfl_module_bias(sm);
	return 0;
}

/* fm's file has arrived (or not): take it, and name anew what was named
 * before. */
static void take_fetched(struct target_dwfl *t, struct fetch_mod *fm)
{
	const unsigned char *id;
	const char *path;
	int len;

	if (fm->state != MS_FETCH_WAITING || !t->fetch ||
	    !needs_debuginfo(fm->mod, &id, &len))
		return;
	fm->state = dbgfetch__state(t->fetch, id, (size_t)len, &path);
	if (fm->state != MS_FETCH_DONE)
		return;
	if (side_open(fm, path)) {
		fm->state = MS_FETCH_FAILED;
		return;
	}
	target_dwfl_rename_module(t, fm->mod);
}

/* fm of mod, made on its first lookup (asking for its debug file when it needs
 * one). NULL on ENOMEM. */
static struct fetch_mod *fetch_mod_get(struct target_dwfl *t, Dwfl_Module *mod)
{
	const unsigned char *id;
	int len;

	for (size_t i = 0; i < t->nfmods; i++)
		if (t->fmods[i].mod == mod)
			return &t->fmods[i];
	struct fetch_mod *nf = realloc(t->fmods, (t->nfmods + 1) * sizeof(*nf));
	if (!nf)
		return NULL;
	t->fmods = nf;
	struct fetch_mod *fm = &nf[t->nfmods++];
	*fm = (struct fetch_mod){.mod = mod, .state = MS_FETCH_NONE};
	if (!t->fetch || !needs_debuginfo(mod, &id, &len))
		return fm;
	if (dbgfetch__request(t->fetch, id, (size_t)len, target_dwfl_module_name(mod)))
		return fm;
	fm->state = MS_FETCH_WAITING;
	/* Another session of the run may have had it fetched already. */
	take_fetched(t, fm);
	return fm;
}

void target_dwfl_naming_module(struct target_dwfl *t, Dwfl_Module **mod, uint64_t *pc)
{
	if (!t->fetch && !t->nfmods)
		return;
	struct fetch_mod *fm = fetch_mod_get(t, *mod);
	if (!fm || !fm->smod)
		return;
	*pc = *pc - fm->bias + fm->sbias;
	*mod = fm->smod;
}

size_t target_dwfl__adopt_fetched(struct target_dwfl *t)
{
	size_t n = 0;

	/* take_fetched may add modules (fetch_mod_get): index, no pointers kept. */
	for (size_t i = 0; i < t->nfmods; i++) {
		if (t->fmods[i].state != MS_FETCH_WAITING)
			continue;
		take_fetched(t, &t->fmods[i]);
		n += t->fmods[i].smod != NULL;
	}
	return n;
}

struct build_id_match {
	const unsigned char *id;
	size_t len;
	Dwfl_Module *mod;
};

static int match_build_id(Dwfl_Module *mod, void **userdata, const char *name,
			  Dwarf_Addr start, void *arg)
{
	struct build_id_match *m = arg;
	const unsigned char *id;
	GElf_Addr vaddr;
	int len = dwfl_module_build_id(mod, &id, &vaddr);

	if (len <= 0 || (size_t)len != m->len || memcmp(id, m->id, m->len))
		return DWARF_CB_OK;
	m->mod = mod;
	return DWARF_CB_ABORT;
}

int target_dwfl__adopt_debuginfo(struct target_dwfl *t, const unsigned char *id, size_t len,
				 const char *path)
{
	struct build_id_match m = {.id = id, .len = len};
	struct fetch_mod *fm;

	dwfl_getmodules(t->dwfl, match_build_id, &m, 0);
	if (!m.mod)
		return -ENOENT;
	fm = fetch_mod_get(t, m.mod);
	if (!fm)
		return -ENOMEM;
	if (fm->smod)
		return 0;
	int err = side_open(fm, path);
	if (err)
		return err;
	fm->state = MS_FETCH_DONE;
	target_dwfl_rename_module(t, m.mod);
	return 0;
}

void target_dwfl_fetch_release(struct target_dwfl *t)
{
	for (size_t i = 0; i < t->nfmods; i++)
		if (t->fmods[i].side)
			dwfl_end(t->fmods[i].side);
	free(t->fmods);
	t->fmods = NULL;
	t->nfmods = 0;
}
