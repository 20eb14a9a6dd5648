package io.nativemem;

import io.nativemem.forked.HeapProbe;
import io.nativemem.testing.CapturedLog;
import io.nativemem.testing.ForkedJvm;
import io.nativemem.testing.LedgerBalanceExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

    /** Asks for GCs until {@code condition} holds, for at most 10 s. */
    static void awaitGc(BooleanSupplier condition, String what) {
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

    /**
     * The heap a GC-managed buffer holds while it lives, in a JVM of its own ({@link HeapProbe}):
     * the buffer, its view, its segment, the block's owner and its phantom reference (40 + 64 + 40
     * + 40 + 56), and the reference's slot in its stripe's array (4 bytes, up to twice that while
     * the array has room to grow). A buffer with a view carries no cursor of its own: with one it
     * held 24 bytes more, 269 in all.
     */
    @ParameterizedTest(name = "{0} B")
    @ValueSource(ints = {64, 4096})
    void aGcManagedBufferHoldsAtMost248BytesOfHeap(int capacity) {
        ForkedJvm.Result result = ForkedJvm.run(List.of("-XX:+UseG1GC"), HeapProbe.class,
                Integer.toString(capacity), "100000");
        assertEquals(0, result.exitCode(), result.toString());
        Matcher m = Pattern.compile("perBuffer: ([0-9.]+)").matcher(result.output());
        assertTrue(m.find(), result.toString());
        double perBuffer = Double.parseDouble(m.group(1));
        assertTrue(perBuffer >= 200 && perBuffer <= 248, capacity + " B buffers: " + perBuffer + " bytes of heap each");
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
        assertThrows(IllegalStateException.class, () -> buffer.getLong(8));
        awaitCohortClosed(() -> NativeMemory.stats().count() == before.count(), "the closed block freed");
        assertEquals(before.freedExplicitly() + 1, NativeMemory.stats().freedExplicitly());
    }

    /**
     * A closed block returns to the limit when its cohort's scope is closed: once allocations stop,
     * the reclaimer closes an idle cohort within about 0.2 s, without any GC.
     */
    private static void awaitCohortClosed(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out waiting for the cohort to close: " + what + " " + NativeMemory.stats());
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void aClosedBlockIsRefusedAtOnceOnEveryThreadWhileItsCohortLivesOn() throws Exception {
        NativeBuffer closed = NativeBuffer.allocateDirect(64);
        NativeBuffer open = NativeBuffer.allocateDirect(64); // most likely in the same cohort
        NativeBuffer duplicate = closed.duplicate();
        closed.putLong(0, 7);
        open.putLong(0, 8);
        closed.close();
        assertFalse(closed.isAlive());
        assertFalse(duplicate.isAlive());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> closed.getLong(0));
        assertEquals("Already closed: the memory was freed (this GC-managed buffer was closed)", e.getMessage());
        assertThrows(IllegalStateException.class, () -> duplicate.putLong(0, 1));
        assertThrows(IllegalStateException.class, closed::getLong);
        assertEquals(0, closed.position(), "a refused relative access leaves the cursor alone");
        assertThrows(IllegalStateException.class, () -> closed.get(new byte[8]));
        assertThrows(IllegalStateException.class, () -> closed.segment().get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> closed.asByteBuffer().get(0));
        List<Throwable> seen = new ArrayList<>();
        Thread other = new Thread(() -> {
            try {
                closed.getLong(0);
            } catch (Throwable t) {
                seen.add(t);
            }
        });
        other.start();
        other.join();
        assertEquals(IllegalStateException.class, seen.get(0).getClass());
        assertTrue(open.isAlive());
        assertEquals(8, open.getLong(0));
        open.close();
    }

    /**
     * A loop already running on another thread when the buffer is closed may not look at the
     * closed flag again (the JIT checks it once for the loop, as it does a JDK scope): it goes on,
     * on memory that is still allocated, until the cohort's scope is closed, and then stops.
     */
    @Test
    void aLoopRacingWithCloseStopsOnceTheCohortIsClosed() throws Exception {
        NativeBuffer buffer = NativeBuffer.allocateDirect(64);
        NativeBuffer mate = NativeBuffer.allocateDirect(64);
        buffer.putLong(0, 42);
        java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
        List<Throwable> ended = new ArrayList<>();
        Thread reader = new Thread(() -> {
            long sum = 0;
            running.countDown();
            try {
                for (;;) {
                    sum += buffer.getLong(0);
                    if (sum < 0) {
                        throw new AssertionError("read a wrong value");
                    }
                }
            } catch (Throwable t) {
                ended.add(t);
            }
        });
        reader.setDaemon(true);
        reader.start();
        running.await();
        Thread.sleep(200); // let the JIT compile the loop
        buffer.close();
        mate.close();
        reader.join(10_000);
        assertFalse(reader.isAlive(), "the reader still runs after its cohort closed");
        assertEquals(IllegalStateException.class, ended.get(0).getClass(), ended.toString());
        awaitCohortClosed(() -> NativeMemory.stats().count() == 0, "both blocks freed");
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
        awaitCohortClosed(() -> NativeMemory.stats().count() == before.count() - 1, "the closed block freed");
        assertEquals(before.freedExplicitly() + 1, NativeMemory.stats().freedExplicitly());
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
