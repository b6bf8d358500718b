# Host tests of the console's pure pieces: lib/regex.c (expect re=) for
# build/host/regex.t, lib/line_history.c (expect's recent lines) for
# build/host/line_history.t.  host.mk's wildcard already lists t_regex.c and links
# $^; this adds each object as a prerequisite (built by host.mk's pattern
# rule for build/host/obj/%.o).  Included by the top-level Makefile.
build/host/regex.t: build/host/obj/lib/regex.o
build/host/line_history.t: build/host/obj/lib/line_history.o
