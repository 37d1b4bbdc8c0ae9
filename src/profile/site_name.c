/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Name an allocation site after the first frame that is not the allocator. */
#include <string.h>
#include <strings.h>

#include "base/alloc_names.h"
#include "profile/site_name.h"

/* Where a bare function name ends in a frame name: arguments, " (inlined)", a PLT
 * or version suffix, an offset, or GCC's .part/.isra/.constprop/.cold clones. */
static bool name_ends(char c)
{
	return !c || c == '(' || c == ' ' || c == '@' || c == '+' || c == '.';
}

bool site_name_is_alloc(const char *name)
{
	for (const struct alloc_name *a = alloc_names; a->name; a++) {
		size_t len = strlen(a->name);

		if (strncmp(name, a->name, len))
			continue;
		switch (a->how) {
		case MS_MATCH_NAME:
			if (name_ends(name[len]))
				return true;
			break;
		case MS_MATCH_PREFIX:
			return true;
		case MS_MATCH_ALLOC:
			for (const char *p = name + len; *p && !name_ends(*p); p++)
				if (!strncasecmp(p, "alloc", 5))
					return true;
			break;
		}
	}
	return false;
}

bool site_name_is_python(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	const char *open = name ? strstr(name, " (") : NULL;

	return open && n > 0 && name[n - 1] == ')' && strstr(open, ".py:");
}

uint32_t site_name_frame(const struct stacktab *t, uint32_t stack_id)
{
	const uint32_t *frames;
	size_t n = stacktab__stack(t, stack_id, &frames);

	if (!n)
		return UINT32_MAX;
	/* a Python program's site is its innermost Python line, not interpreter code */
	for (size_t i = n; i > 0; i--)
		if (site_name_is_python(stacktab__frame_name(t, frames[i - 1])))
			return frames[i - 1];
	for (size_t i = n; i > 0; i--) {
		const char *name = stacktab__frame_name(t, frames[i - 1]);

		if (name && !site_name_is_alloc(name))
			return frames[i - 1];
	}
	return frames[n - 1];
}

const char *site_name(const struct stacktab *t, uint32_t stack_id)
{
	uint32_t id = site_name_frame(t, stack_id);
	const char *name = id == UINT32_MAX ? NULL : stacktab__frame_name(t, id);

	return name ? name : "[no frames]";
}
