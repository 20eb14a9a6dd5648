package io.nativemem.forked;

import io.nativemem.NativeArena;
import io.nativemem.NativeBuffer;

/** Runs with nativemem on the module path: checks what the module exports and that it works there. */
public final class ModuleProbe {

    public static void main(String[] args) {
        Module module = NativeArena.class.getModule();
        System.out.println("module: " + module.getName());
        System.out.println("exports io.nativemem: " + module.isExported("io.nativemem"));
        System.out.println("exports io.nativemem.internal: " + module.isExported("io.nativemem.internal"));
        System.out.println("exports io.nativemem.internal.libc: " + module.isExported("io.nativemem.internal.libc"));
        try (NativeArena arena = NativeArena.ofConfined()) {
            System.out.println("buffer: " + arena.allocateBuffer(32).putLong(7).flip().getLong());
        }
        NativeBuffer direct = NativeBuffer.allocateDirect(16);
        direct.close();
        System.out.println("direct closed: " + !direct.isAlive());
    }
}
