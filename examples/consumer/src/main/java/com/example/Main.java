package com.example;

import io.nativemem.MemoryStats;
import io.nativemem.NativeArena;
import io.nativemem.NativeBuffer;
import io.nativemem.NativeMemory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A small application on nativemem: an arena, a GC-managed buffer, a file read through a channel
 * and mapped. It exits with status 1 if anything is off, so that CI notices.
 */
public final class Main {

    public static void main(String[] args) throws IOException {
        Path file = Files.createTempFile("consumer", ".bin");
        try {
            Files.write(file, "hello, nativemem".getBytes());
            try (NativeArena arena = NativeArena.ofConfined()) {
                NativeBuffer buffer = arena.allocateBuffer(4096);
                try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
                    while (buffer.hasRemaining() && buffer.read(in) >= 0) {
                        // fill
                    }
                }
                buffer.flip();
                check(buffer.remaining() == 16, "read 16 bytes, got " + buffer.remaining());
                check(buffer.equals(arena.map(file, FileChannel.MapMode.READ_ONLY)), "the mapping has the same bytes");
            }
            NativeBuffer direct = NativeBuffer.allocateDirect(1 << 20);
            direct.putLong(0, 42);
            check(direct.getLong(0) == 42, "GC-managed buffer round trip");
            direct.close();
            // A closed buffer's memory returns to the limit when its cohort is freed, a moment later.
            MemoryStats stats = NativeMemory.stats();
            for (int i = 0; i < 1000 && stats.count() != 0; i++) {
                sleep(10);
                stats = NativeMemory.stats();
            }
            check(stats.count() == 0 && stats.totalCapacity() == 0, "everything freed: " + stats);
            System.out.println("consumer OK: " + stats);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.err.println("consumer FAILED: " + what);
            System.exit(1);
        }
    }
}
