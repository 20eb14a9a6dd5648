package io.nativemem;

import io.nativemem.testing.CapturedLog;
import io.nativemem.testing.LedgerBalanceExtension;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GC-managed memory: allocateDirect and auto arenas, freed by the runtime's cleaner or by close(). */
class GcManagedTest {

    /** Each test counts from an empty ledger: earlier tests' dropped buffers must not be freed mid-test. */
    @org.junit.jupiter.api.BeforeEach
    void startFromAnEmptyLedger() {
        assertEquals(0, LedgerBalanceExtension.Ledger.awaitEmpty().count());
    }

    private static void awaitGc(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out waiting for the GC: " + what + " " + NativeMemory.stats());
            }
            System.gc();
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void allocateDirectIsZeroedCountedAndUsableFromAnyThread() throws Exception {
        MemoryStats before = NativeMemory.stats();
        NativeBuffer buffer = NativeBuffer.allocateDirect(1024, 64);
        assertEquals(0, buffer.address() % 64);
        assertEquals(64, buffer.alignment());
        assertEquals(before.count() + 1, NativeMemory.stats().count());
        assertEquals(before.totalCapacity() + 1024, NativeMemory.stats().totalCapacity());
        Thread other = new Thread(() -> buffer.putLong(8, 99));
        other.start();
        other.join();
        assertEquals(99, buffer.getLong(8));
        assertEquals(0, buffer.getLong(16));
        buffer.close();
        assertEquals(before.count(), NativeMemory.stats().count());
        assertEquals(before.freedExplicitly() + 1, NativeMemory.stats().freedExplicitly());
    }

    @Test
    void closeKillsEveryViewAndIsIdempotent() {
        NativeBuffer buffer = NativeBuffer.allocateDirect(64);
        NativeBuffer slice = buffer.slice(8, 8);
        NativeBuffer readOnly = buffer.asReadOnlyBuffer();
        ByteBuffer nio = buffer.asByteBuffer();
        MemorySegment segment = buffer.segment();
        MemoryStats before = NativeMemory.stats();
        slice.close(); // any view may close the block
        assertFalse(buffer.isAlive());
        assertThrows(IllegalStateException.class, () -> buffer.getInt(0));
        assertThrows(IllegalStateException.class, () -> slice.getInt(0));
        assertThrows(IllegalStateException.class, () -> readOnly.get(0));
        assertThrows(IllegalStateException.class, () -> nio.get(0));
        assertThrows(IllegalStateException.class, () -> segment.get(ValueLayout.JAVA_BYTE, 0));
        assertDoesNotThrow(buffer::close);
        assertDoesNotThrow(readOnly::close);
        MemoryStats after = NativeMemory.stats();
        assertEquals(before.count() - 1, after.count());
        assertEquals(before.freedExplicitly() + 1, after.freedExplicitly());
    }

    @Test
    void anUnreachableBufferIsFreedByTheGc() {
        MemoryStats before = NativeMemory.stats();
        WeakReference<NativeBuffer> ref = new WeakReference<>(NativeBuffer.allocateDirect(4096));
        assertEquals(before.count() + 1, NativeMemory.stats().count());
        awaitGc(() -> NativeMemory.stats().count() == before.count(), "the buffer freed");
        assertTrue(ref.refersTo(null));
        assertTrue(NativeMemory.stats().freedByGc() > before.freedByGc());
    }

    /** Makes a buffer, fills it, and returns only the view the function picks. */
    private static <T> T onlyView(Function<NativeBuffer, T> view) {
        NativeBuffer buffer = NativeBuffer.allocateDirect(1 << 16);
        for (long i = 0; i < buffer.capacity(); i += 8) {
            buffer.putLong(i, i * 31);
        }
        return view.apply(buffer);
    }

    @Test
    void aSliceAloneKeepsTheBlockAlive() {
        long baseline = NativeMemory.stats().count();
        NativeBuffer slice = onlyView(b -> b.slice(8192, 1024));
        for (int i = 0; i < 5; i++) {
            System.gc();
            assertEquals((8192 + 512) * 31L, slice.getLong(512));
        }
        assertEquals(baseline + 1, NativeMemory.stats().count());
        slice = null;
        awaitGc(() -> NativeMemory.stats().count() == baseline, "the block freed after its slice was dropped");
    }

    @Test
    void aByteBufferViewAloneKeepsTheBlockAlive() {
        long baseline = NativeMemory.stats().count();
        ByteBuffer nio = onlyView(b -> b.position(4096).asByteBuffer());
        for (int i = 0; i < 5; i++) {
            System.gc();
            assertEquals((4096 + 8) * 31L, nio.getLong(8));
        }
        ByteBuffer sliceOfView = nio.slice(16, 16);
        nio = null;
        System.gc();
        assertEquals((4096 + 16) * 31L, sliceOfView.getLong(0));
        assertEquals(baseline + 1, NativeMemory.stats().count());
        sliceOfView = null;
        awaitGc(() -> NativeMemory.stats().count() == baseline, "the block freed after its ByteBuffer was dropped");
    }

    @Test
    void aSegmentAloneKeepsTheBlockAlive() {
        long baseline = NativeMemory.stats().count();
        MemorySegment segment = onlyView(NativeBuffer::segment);
        for (int i = 0; i < 5; i++) {
            System.gc();
            assertEquals(800 * 31L, segment.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 800));
        }
        segment = null;
        awaitGc(() -> NativeMemory.stats().count() == baseline, "the block freed after its segment was dropped");
    }

    @Test
    void anAutoArenaIsFreedOnceItAndItsSegmentsAreUnreachable() {
        long baseline = NativeMemory.stats().count();
        NativeArena arena = NativeArena.ofAuto();
        MemorySegment kept = arena.allocate(256, 8);
        arena.allocateBuffer(512);
        arena.allocate(1024);
        assertThrows(UnsupportedOperationException.class, arena::close);
        arena = null;
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        assertEquals(baseline + 3, NativeMemory.stats().count(), "one live segment keeps the whole arena");
        kept.set(ValueLayout.JAVA_INT, 0, 1);
        kept = null;
        awaitGc(() -> NativeMemory.stats().count() == baseline, "the auto arena freed");
    }

    @Test
    void anAutoArenaServesManyThreads() throws Exception {
        NativeArena arena = NativeArena.ofAuto();
        List<Thread> threads = new ArrayList<>();
        List<MemorySegment> segments = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 4; t++) {
            Thread thread = new Thread(() -> {
                for (int i = 0; i < 100; i++) {
                    segments.add(arena.allocate(64, 16));
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(400, segments.size());
        assertTrue(segments.stream().allMatch(s -> s.get(ValueLayout.JAVA_LONG, 56) == 0));
    }

    @Test
    void unclosedConfinedAndSharedArenasAreFreedByTheCleanerAndReported() throws Exception {
        long baseline = NativeMemory.stats().count();
        long freedByGc = NativeMemory.stats().freedByGc();
        List<LeakReport> reports = new CopyOnWriteArrayList<>();
        Consumer<LeakReport> previous = NativeMemory.setLeakListener(reports::add);
        try (CapturedLog log = CapturedLog.ofRuntime()) {
            leakArena(NativeArena.ofConfined());
            leakArena(NativeArena.ofShared());
            assertEquals(baseline + 6, NativeMemory.stats().count());
            awaitGc(() -> NativeMemory.stats().count() == baseline, "leaked arenas freed");
            assertEquals(freedByGc + 6, NativeMemory.stats().freedByGc());
            // Reported just after the blocks are freed, on the reclaimer's thread.
            awaitGc(() -> reports.size() == 2, "both leaks reported");
            assertEquals(Set.of("confined 3 600", "shared 3 600"), reports.stream()
                    .map(r -> r.kind() + " " + r.blocks() + " " + r.bytes()).collect(Collectors.toSet()));
            List<String> logged = log.messages();
            assertEquals(2, logged.size(), logged.toString());
            for (String kind : List.of("confined", "shared")) {
                assertTrue(logged.stream().anyMatch(m -> m.startsWith("WARNING: A " + kind
                        + " arena was not closed: its 3 blocks (600 bytes) were freed by the cleaner")), logged.toString());
            }
        } finally {
            NativeMemory.setLeakListener(previous);
        }
    }

    private static void leakArena(NativeArena arena) {
        arena.allocate(100, 8);
        arena.allocateBuffer(200).putInt(0, 1);
        arena.allocate(300, 4096);
    }

    @Test
    void theReclaimerFreesWhatTheGcFoundWithoutAnyAllocation() {
        MemoryStats before = NativeMemory.stats();
        for (int i = 0; i < 100; i++) {
            NativeBuffer.allocateDirect(1000);
        }
        // No allocation happens from here on: only the daemon thread can free them.
        awaitGc(() -> NativeMemory.stats().count() == before.count(), "100 dropped buffers freed");
        MemoryStats after = NativeMemory.stats();
        assertEquals(before.freedByGc() + 100, after.freedByGc(), "each freed once, as found by the GC: " + after);
        assertEquals(before.freedExplicitly(), after.freedExplicitly(), after.toString());
        assertEquals(before.waitedReservations(), after.waitedReservations(), "no allocation made room: " + after);
        assertEquals(before.totalCapacity(), after.totalCapacity(), after.toString());
        assertEquals(before.reservedMemory(), after.reservedMemory(), after.toString());
    }
}
