# Host tests of the instruction emulator, vmm/emulate/: the decoder (with a
# differential test against Zydis 4, libzydis-dev), execution, and the
# guest page walk.  Included by the top-level Makefile after
# tests/host/host.mk, whose wildcard already makes build/host/decode.t,
# emulate.t and gva.t from tests/host/t_*.c and links them with $^ and
# $(HOST_LDLIBS): this file only adds the emulator's objects as
# prerequisites and Zydis to the decoder test's libraries.

EMUL_OBJ := build/host/obj/vmm/emulate

build/host/decode.t: $(EMUL_OBJ)/decode.o
build/host/decode.t: HOST_LDLIBS += -lZydis
build/host/emulate.t: $(EMUL_OBJ)/decode.o $(EMUL_OBJ)/emulate.o
build/host/gva.t: $(EMUL_OBJ)/gva.o
