// SPDX-License-Identifier: GPL-2.0-or-later
/* A test target that embeds CPython the way uwsgi's python plugin and other C
 * programs do: linked with the shared libpython (python3-embed), it runs the
 * script SCRIPT in its interpreter. The script's signal handlers work as in
 * python3 itself, since Py_Initialize installs CPython's signal handling.
 *   pyembed SCRIPT */
#include <Python.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	FILE *f;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: pyembed SCRIPT\n");
		return 2;
	}
	f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	Py_Initialize();
	/* closes f; the file name is what Python frames show */
	rc = PyRun_SimpleFileExFlags(f, argv[1], 1, NULL);
	if (Py_FinalizeEx() < 0)
		rc = -1;
	return rc ? 1 : 0;
}
