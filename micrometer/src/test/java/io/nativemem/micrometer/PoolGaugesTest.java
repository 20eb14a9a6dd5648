package io.nativemem.micrometer;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nativemem.MappedNativeBuffer;
import io.nativemem.MemoryStats;
import io.nativemem.NativeArena;
import io.nativemem.NativeBuffer;
import io.nativemem.NativeMemory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pool gauges move by exactly what real allocations and mappings take, and come back. */
@ExtendWith(LedgerBalance.class)
class PoolGaugesTest {

    private final MeterRegistry registry = new SimpleMeterRegistry();

    @BeforeEach
    void bindToAnEmptyLedger() {
        LedgerBalance.awaitEmpty();
        new NativeMemoryMetrics().bindTo(registry);
    }

    @Test
    void arenaBlocksAreCountedUntilTheArenaCloses() {
        Pool before = pool("nativemem");
        try (NativeArena arena = NativeArena.ofConfined()) {
            NativeBuffer buffer = arena.allocateBuffer(4096);
            arena.allocateBuffer(1000, 4096);
            arena.allocate(24, 8);
            buffer.putLong(0, 42);

            assertEquals(before.plus(3, 4096 + 1000 + 24), pool("nativemem"));
            assertEquals(Pool.EMPTY, pool("nativemem-mapped"));
        }
        assertEquals(before, pool("nativemem"));
    }

    @Test
    void gcManagedBufferIsCountedUntilClosed() {
        Pool before = pool("nativemem");
        NativeBuffer buffer = NativeBuffer.allocateDirect(8192);
        assertEquals(before.plus(1, 8192), pool("nativemem"));

        buffer.close();
        // Its memory returns when its cohort's scope is closed, a little after close().
        LedgerBalance.await(() -> before.equals(pool("nativemem")), () -> "still counted: " + pool("nativemem"));
        assertEquals(before, pool("nativemem"));
    }

    @Test
    void gaugesAreTheLedgerOfThisInstant() {
        try (NativeArena arena = NativeArena.ofShared()) {
            arena.allocateBuffer(3 * 1024 * 1024);
            MemoryStats stats = NativeMemory.stats();
            assertEquals(new Pool(stats.count(), stats.reservedMemory(), stats.totalCapacity()), pool("nativemem"));
            assertEquals(stats.maxMemory(), registry.get("nativemem.memory.max").gauge().value());
            assertEquals(64L * 1024 * 1024, registry.get("nativemem.memory.max").gauge().value(),
                    "the limit the tests run with (-Dnativemem.maxMemory=64m)");
            assertEquals(stats.peakReservedMemory(), registry.get("nativemem.memory.peak").gauge().value());
        }
    }

    @Test
    void peakKeepsTheHighestReservation() {
        long size = 5 * 1024 * 1024;
        try (NativeArena arena = NativeArena.ofConfined()) {
            arena.allocate(size, 16);
            assertTrue(registry.get("nativemem.memory.peak").gauge().value() >= size);
        }
        assertTrue(registry.get("nativemem.memory.peak").gauge().value() >= size);
        assertEquals(NativeMemory.stats().peakReservedMemory(), registry.get("nativemem.memory.peak").gauge().value());
    }

    @Test
    void mappedFilesAreAPoolOfTheirOwn(@TempDir Path dir) throws IOException {
        Path file = Files.write(dir.resolve("data"), new byte[10_000]);
        Pool blocks = pool("nativemem");
        Pool before = pool("nativemem-mapped");
        try (NativeArena arena = NativeArena.ofConfined()) {
            MappedNativeBuffer whole = arena.map(file, FileChannel.MapMode.READ_ONLY, 0, 10_000);
            assertEquals(before.plus(1, 10_000), pool("nativemem-mapped"));

            arena.map(file, FileChannel.MapMode.READ_WRITE, 5_000, 3_000).put(0, (byte) 1);
            assertEquals(before.plus(2, 13_000), pool("nativemem-mapped"));
            assertEquals(blocks, pool("nativemem"), "mappings are not blocks");
            assertEquals(0, whole.get(0));
        }
        assertEquals(before, pool("nativemem-mapped"));
    }

    /** The three gauges of one pool, read together. */
    private record Pool(double count, double used, double capacity) {
        static final Pool EMPTY = new Pool(0, 0, 0);

        Pool plus(long blocks, long bytes) {
            return new Pool(count + blocks, used + bytes, capacity + bytes);
        }
    }

    private Pool pool(String id) {
        return new Pool(registry.get("jvm.buffer.count").tag("id", id).gauge().value(),
                registry.get("jvm.buffer.memory.used").tag("id", id).gauge().value(),
                registry.get("jvm.buffer.total.capacity").tag("id", id).gauge().value());
    }
}
