# Host tests of the console's pure pieces: lib/regex.c (expect re=) for
# build/host/regex.t.  host.mk's wildcard already lists t_regex.c and links
# $^; this adds the object as a prerequisite (built by host.mk's pattern
# rule for build/host/obj/%.o).  Included by the top-level Makefile.
build/host/regex.t: build/host/obj/lib/regex.o
