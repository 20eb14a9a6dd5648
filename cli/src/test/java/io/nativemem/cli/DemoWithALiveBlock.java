package io.nativemem.cli;

import io.nativemem.NativeArena;

import java.lang.foreign.MemorySegment;

/**
 * Runs the demo while a 4 KiB block of its own stays allocated: the demo's ledger then cannot end
 * at zero, and it must not say that it did. Start it with the demo's limit (64m), which it sets
 * too late for a JVM that has already allocated.
 */
public final class DemoWithALiveBlock {

    @SuppressWarnings("unused") // held, never closed
    private static MemorySegment held;

    public static void main(String[] args) {
        held = NativeArena.ofShared().allocate(4096, 16);
        Main.main(new String[] {"demo"});
    }
}
