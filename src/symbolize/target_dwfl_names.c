/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Naming an address inside a module with libdw: its function from the symbol
 * table, the chain of calls inlined there from DWARF scopes, C++ names demangled,
 * and the file:line of each level. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "symbolize/dwarf_index.h"
#include "symbolize/target_dwfl_impl.h"

/* Longest chain of nested DWARF scopes (lexical blocks included) followed from
 * an address out to its function; a deeper one (malformed DWARF) is cut there. */
#define MS_MAX_SCOPES         256

typedef char *(*cxa_demangle_fn)(const char *, char *, size_t *, int *);

static pthread_once_t demangler_once = PTHREAD_ONCE_INIT;
static cxa_demangle_fn demangler_fn;

static void demangler_load(void)
{
	void *h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);

	if (h)
		demangler_fn = (cxa_demangle_fn)dlsym(h, "__cxa_demangle");
}

/* libstdc++'s demangler, found at run time: memspy links no C++ runtime, and a
 * target with C++ names has libstdc++ installed. NULL when it is not. Loaded on
 * the first C++ name only, and shared by all sessions. */
static cxa_demangle_fn demangler(void)
{
	pthread_once(&demangler_once, demangler_load);
	return demangler_fn;
}

void name_list_release(struct name_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	l->n = 0;
}

/* Append name (demangled when it is a C++ symbol) plus suffix; false on ENOMEM. */
static bool name_list_add(struct name_list *l, const char *name, const char *suffix)
{
	char *dem = NULL;
	char *s;

	if (l->n == MS_MAX_INLINE_NAMES)
		return true;
	if (name[0] == '_' && name[1] == 'Z') {
		cxa_demangle_fn fn = demangler();
		int status = -1;
		if (fn)
			dem = fn(name, NULL, NULL, &status);
		if (status != 0) {
			free(dem);
			dem = NULL;
		}
	}
	if (asprintf(&s, "%s%s", dem ? dem : name, suffix) < 0)
		s = NULL;
	free(dem);
	if (!s)
		return false;
	l->names[l->n++] = s;
	return true;
}

static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *name;

	/* Inlined instances carry no name: it lives on their abstract origin. */
	name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
	return name;
}

/* libdw's answer, walking the CU's DIE tree: dwarf_getscopes for the innermost
 * scope, dwarf_getscopes_die for its parents (dwarf_getscopes goes on from an
 * inlined instance into its abstract definition, not to the callers it was
 * inlined into). The reference the index is checked against, and the fallback
 * for a CU the index refuses. */
static size_t scan_scopes(Dwarf_Die *cu, uint64_t pc, Dwarf_Die *chain, size_t max)
{
	Dwarf_Die *scopes = NULL;
	Dwarf_Die innermost;

	int n = dwarf_getscopes(cu, pc, &scopes);
	if (n <= 0) {
		free(scopes);
		return 0;
	}
	innermost = scopes[0];
	free(scopes);
	scopes = NULL;
	n = dwarf_getscopes_die(&innermost, &scopes);
	size_t k = 0;
	for (; n > 0 && k < (size_t)n && k < max; k++)
		chain[k] = scopes[k];
	free(scopes);
	return k;
}

/* The scopes holding pc (a DWARF address) in cu, innermost first, at most max:
 * from the session's per-CU index, else as libdw finds them per address. */
static size_t scope_chain(struct target_dwfl *t, Dwarf_Die *cu, uint64_t pc, Dwarf_Die *chain,
			  size_t max)
{
	if (!t->scan_scopes && !t->dwx)
		t->dwx = dwarf_index__new(MS_DWARF_INDEX_MAX_BYTES);
	if (!t->scan_scopes && t->dwx) {
		int n = dwarf_index__scopes(t->dwx, cu, pc, chain, max);
		if (n >= 0)
			return (size_t)n;
	}
	return scan_scopes(cu, pc, chain, max);
}

/* A name without the prefixes glibc gives the aliases of one function
 * (__GI___libc_write, __libc_write, __write: "write"). */
static const char *alias_base(const char *s)
{
	for (;;) {
		if (!strncmp(s, "__GI_", 5))
			s += 5;
		else if (!strncmp(s, "__libc_", 7))
			s += 7;
		else if (*s == '_')
			s++;
		else
			return s;
	}
}

/* The abstract definition behind a concrete or inlined instance (itself when
 * it has none), as a DIE offset to compare. */
static Dwarf_Off origin_offset(Dwarf_Die *die, Dwarf_Die *origin)
{
	Dwarf_Attribute attr;

	if (!dwarf_attr(die, DW_AT_abstract_origin, &attr) || !dwarf_formref_die(&attr, origin))
		*origin = *die;
	return dwarf_dieoffset(origin);
}

/* Whether the inlined instance die, directly inside the function level outer,
 * is that same function rather than a call: GCC splits a function and inlines
 * the part back into it, and DWARF then shows the function inlined into itself
 * at its own declaration line (glibc's __libc_write in __write, printed as
 * "__write;__GI___libc_write_[i]"). A recursive call inlined once is the same
 * function too, but called from a line of its body: kept. An alias under
 * another name (__GI___foo in __foo) is dropped as well. */
static bool is_self_copy(Dwarf_Die *die, Dwarf_Die *outer)
{
	Dwarf_Die o1, o2;
	Dwarf_Attribute attr;
	Dwarf_Word call_line;
	int decl_line;

	if (origin_offset(die, &o1) == origin_offset(outer, &o2))
		return dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &call_line) == 0 &&
		       dwarf_decl_line(&o1, &decl_line) == 0 && call_line == (Dwarf_Word)decl_line;
	const char *a = die_name(die), *b = die_name(outer);
	return a && b && strcmp(a, b) && *alias_base(a) && !strcmp(alias_base(a), alias_base(b));
}

/* The function-level scopes of a scope chain (inlined instances, innermost
 * first, then the subprogram, last in levels), at most max. */
static size_t function_levels(Dwarf_Die *scopes, size_t n, Dwarf_Die *levels, size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k < max; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag == DW_TAG_inlined_subroutine || tag == DW_TAG_subprogram)
			levels[k++] = scopes[i];
		if (tag == DW_TAG_subprogram)
			break;
	}
	return k;
}

/* The DWARF view of addr: the name of the subprogram containing it (NULL when
 * unknown) and the inlined calls in between, innermost first, with their DIEs;
 * a function's copy of itself is no call and is left out. Either inl or dies
 * may be NULL: names are looked up only for inl. */
static const char *dwarf_scopes(struct target_dwfl *t, Dwfl_Module *mod, uint64_t addr,
				const char **inl, Dwarf_Die *dies, size_t *ninl)
{
	Dwarf_Addr bias;
	Dwarf_Die scopes[MS_MAX_SCOPES], levels[MS_MAX_SCOPES];
	bool keep[MS_MAX_SCOPES];

	*ninl = 0;
	Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, &bias);
	if (!cu)
		return NULL;
	size_t n = scope_chain(t, cu, addr - bias, scopes, MS_MAX_SCOPES);
	size_t nl = function_levels(scopes, n, levels, MS_MAX_SCOPES);
	bool has_sub = nl && dwarf_tag(&levels[nl - 1]) == DW_TAG_subprogram;
	size_t ni = has_sub ? nl - 1 : nl, outer = has_sub ? nl - 1 : SIZE_MAX;

	/* outward in: each level compared with the closest outer one kept */
	for (size_t i = ni; i-- > 0;) {
		keep[i] = outer == SIZE_MAX || !is_self_copy(&levels[i], &levels[outer]);
		if (keep[i])
			outer = i;
	}
	for (size_t i = 0; i < ni && *ninl < MS_MAX_INLINE_NAMES - 1; i++) {
		if (!keep[i])
			continue;
		const char *name = inl ? die_name(&levels[i]) : NULL;
		if (dies)
			dies[*ninl] = levels[i];
		if (inl)
			inl[*ninl] = name ? name : "[unknown]";
		(*ninl)++;
	}
	return has_sub && inl ? die_name(&levels[nl - 1]) : NULL;
}

uint64_t target_dwfl_module_bias(Dwfl_Module *mod)
{
	Dwarf_Addr low = 0, bias;

	dwfl_module_info(mod, NULL, &low, NULL, NULL, NULL, NULL, NULL);
	if (!dwfl_module_getelf(mod, &bias))
		bias = low;
	return bias;
}

const char *target_dwfl_module_name(Dwfl_Module *mod)
{
	const char *modname = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	const char *base = modname ? strrchr(modname, '/') : NULL;

	base = base ? base + 1 : modname;
	if (!base || !*base)
		return "?";
	if (!strncmp(base, "[vdso", 5))
		return "vdso"; /* reported as "[vdso: <pid>]" */
	return base;
}

/* "[module+0xoffset]", offset as in the file. */
static void module_offset_name(Dwfl_Module *mod, uint64_t pc, char *buf, size_t size)
{
	snprintf(buf, size, "[%.200s+0x%llx]", target_dwfl_module_name(mod),
		 (unsigned long long)(pc - target_dwfl_module_bias(mod)));
}

static int cmp_msym(const void *a, const void *b)
{
	const struct msym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return y->rank - x->rank; /* the preferred alias first */
}

static struct modsyms *modsyms_get(struct target_dwfl *t, Dwfl_Module *mod)
{
	for (size_t i = 0; i < t->nmodsyms; i++)
		if (t->modsyms[i].mod == mod)
			return &t->modsyms[i];
	struct modsyms *nm = realloc(t->modsyms, (t->nmodsyms + 1) * sizeof(*nm));
	if (!nm)
		return NULL;
	t->modsyms = nm;
	struct modsyms *ms = &nm[t->nmodsyms++];
	*ms = (struct modsyms){.mod = mod};

	int n = dwfl_module_getsymtab(mod);
	if (n <= 0)
		return ms;
	ms->syms = malloc((size_t)n * sizeof(*ms->syms));
	if (!ms->syms)
		return ms;
	for (int i = 0; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);
		int type = GELF_ST_TYPE(sym.st_info), bind = GELF_ST_BIND(sym.st_info);
		if (!name || !*name || sym.st_shndx == SHN_UNDEF ||
		    (type != STT_FUNC && type != STT_GNU_IFUNC))
			continue;
		ms->syms[ms->n++] = (struct msym){
		    .addr = addr,
		    .end = addr + sym.st_size,
		    .name = name,
		    .rank = bind == STB_GLOBAL ? 2 : bind == STB_WEAK ? 1 : 0,
		};
	}
	qsort(ms->syms, ms->n, sizeof(*ms->syms), cmp_msym);
	/* Drop the aliases after the preferred one; a sizeless symbol reaches the next. */
	size_t k = 0;
	for (size_t i = 0; i < ms->n; i++)
		if (!k || ms->syms[i].addr != ms->syms[k - 1].addr)
			ms->syms[k++] = ms->syms[i];
	ms->n = k;
	for (size_t i = 0; i < k; i++)
		if (ms->syms[i].end == ms->syms[i].addr)
			ms->syms[i].end = i + 1 < k ? ms->syms[i + 1].addr : ms->syms[i].addr + 1;
	return ms;
}

/* The function symbol holding pc, by binary search; NULL when none. A symbol
 * nested in a bigger one (rare: aliases of different sizes) is found when it
 * starts last. */
static const char *modsyms_lookup(struct target_dwfl *t, Dwfl_Module *mod, uint64_t pc)
{
	struct modsyms *ms = modsyms_get(t, mod);
	size_t lo = 0, hi = ms ? ms->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ms->syms[mid].addr <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Look back a little for a bigger symbol covering pc past a smaller one. */
	for (size_t i = lo, back = 0; i-- > 0 && back < 4; back++)
		if (pc < ms->syms[i].end)
			return ms->syms[i].name;
	return NULL;
}

bool target_dwfl_name_pc(struct target_dwfl *t, Dwfl_Module *mod, uint64_t pc, struct name_list *l)
{
	const char *inl[MS_MAX_INLINE_NAMES];
	size_t ninl;
	char unversioned[512];

	const char *symname = modsyms_lookup(t, mod, pc);
	const char *sub = dwarf_scopes(t, mod, pc, inl, NULL, &ninl);
	const char *at = symname ? strchr(symname, '@') : NULL;

	/* .symtab keeps symbol versions ("__libc_start_main@@GLIBC_2.34"); a stack
	 * should not change name with the library version. */
	if (at && at != symname) {
		snprintf(unversioned, sizeof(unversioned), "%.*s", (int)(at - symname), symname);
		symname = unversioned;
	}
	const char *outer = symname && *symname ? symname : sub;

	if (outer) {
		if (!name_list_add(l, outer, ""))
			return false;
	} else {
		char buf[256];

		module_offset_name(mod, pc, buf, sizeof(buf));
		if (!name_list_add(l, buf, ""))
			return false;
	}
	for (size_t i = ninl; i-- > 0;)
		if (!name_list_add(l, inl[i], "_[i]"))
			return false;
	return true;
}

/* Source file of a DW_AT_call_file index in die's unit; NULL when unknown. */
static const char *call_file(Dwarf_Die *die, Dwarf_Word idx)
{
	Dwarf_Die cu;
	Dwarf_Files *files;
	size_t nfiles;

	if (!dwarf_diecu(die, &cu, NULL, NULL) || dwarf_getsrcfiles(&cu, &files, &nfiles) != 0 ||
	    idx >= nfiles)
		return NULL;
	return dwarf_filesrc(files, idx, NULL, NULL);
}

void target_dwfl_locate_pc(struct target_dwfl *t, Dwfl_Module *mod, uint64_t pc,
			   struct frame_loc *locs, size_t n)
{
	Dwarf_Die dies[MS_MAX_INLINE_NAMES];
	size_t ninl = 0;
	int line = 0, col = 0;

	if (!n)
		return;
	Dwfl_Line *dl = dwfl_module_getsrc(mod, pc);
	const char *file = dl ? dwfl_lineinfo(dl, NULL, &line, &col, NULL, NULL) : NULL;
	locs[n - 1].file = file;
	locs[n - 1].line = file && line > 0 ? (uint32_t)line : 0;
	locs[n - 1].column = file && col > 0 ? (uint32_t)col : 0;
	dwarf_scopes(t, mod, pc, NULL, dies, &ninl);
	/* names: [outer, inl[ninl-1], ..., inl[0]]; level k's call site is on the
	 * inlined DIE of level k+1. */
	if (ninl + 1 != n)
		return; /* no inline levels, or a name list cut short */
	for (size_t k = 0; k + 1 < n; k++) {
		Dwarf_Die *callee = &dies[ninl - 1 - k];
		Dwarf_Attribute attr;
		Dwarf_Word fidx, cl = 0, cc = 0;

		if (dwarf_formudata(dwarf_attr(callee, DW_AT_call_file, &attr), &fidx) != 0)
			continue;
		locs[k].file = call_file(callee, fidx);
		if (!locs[k].file)
			continue;
		if (dwarf_formudata(dwarf_attr(callee, DW_AT_call_line, &attr), &cl) == 0 &&
		    cl <= UINT32_MAX)
			locs[k].line = (uint32_t)cl;
		if (dwarf_formudata(dwarf_attr(callee, DW_AT_call_column, &attr), &cc) == 0 &&
		    cc <= UINT32_MAX)
			locs[k].column = (uint32_t)cc;
	}
}
