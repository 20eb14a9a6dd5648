package io.nativemem;

import io.nativemem.internal.Ledger;
import io.nativemem.internal.Slabs;
import io.nativemem.testing.CapturedLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Small blocks carved from an arena's slabs: real native memory, real threads, real GCs, each test
 * against a ledger of its own (through {@code NativeArenaImpl.create(kind, ledger)}), so the
 * counters are exactly this test's.
 */
class SlabCarvingTest {

    enum Kind {
        CONFINED(NativeArenaImpl.Kind.CONFINED), SHARED(NativeArenaImpl.Kind.SHARED);

        final NativeArenaImpl.Kind kind;

        Kind(NativeArenaImpl.Kind kind) {
            this.kind = kind;
        }
    }

    private static final long LIMIT = 64 << 20;

    private final Ledger ledger = new Ledger(LIMIT, Ledger.Reclaimer.NONE);

    private Ledger.Snapshot stats() {
        return ledger.snapshot(0, 0);
    }

    @AfterEach
    void everyArenaOfTheTestWasFreed() {
        Ledger.Snapshot s = stats();
        assertEquals(0, s.count(), s.toString());
        assertEquals(0, s.totalCapacity(), s.toString());
        assertEquals(0, s.reservedMemory(), s.toString());
    }

    /** A block as the test saw it: where, how large, what it wrote there. */
    private record Block(MemorySegment segment, byte pattern) {
        long start() {
            return segment.address();
        }

        long end() {
            return segment.address() + segment.byteSize();
        }
    }

    private static boolean allZero(MemorySegment segment) {
        for (long i = 0; i < segment.byteSize(); i++) {
            if (segment.get(ValueLayout.JAVA_BYTE, i) != 0) {
                return false;
            }
        }
        return true;
    }

    private static void assertDisjointAndIntact(List<Block> blocks) {
        List<Block> sorted = new ArrayList<>(blocks);
        sorted.sort(Comparator.comparingLong(Block::start));
        for (int i = 1; i < sorted.size(); i++) {
            Block a = sorted.get(i - 1);
            Block b = sorted.get(i);
            assertTrue(a.end() <= b.start() || a.segment.byteSize() == 0 || b.segment.byteSize() == 0,
                    "overlap: [" + a.start() + ", " + a.end() + ") and [" + b.start() + ", " + b.end() + ")");
        }
        for (Block block : blocks) {
            for (long i = 0; i < block.segment.byteSize(); i++) {
                if (block.segment.get(ValueLayout.JAVA_BYTE, i) != block.pattern) {
                    throw new AssertionError("block at " + block.start() + " lost its pattern at offset " + i);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void blocksAreZeroedAlignedAsAskedDisjointAndInsideTheirSlab(Kind kind) {
        SplittableRandom random = new SplittableRandom(12);
        List<Block> blocks = new ArrayList<>();
        long capacity = 0;
        try (NativeArenaImpl arena = (NativeArenaImpl) NativeArenaImpl.create(kind.kind, ledger)) {
            for (int i = 0; i < 3000; i++) {
                long alignment = 1L << random.nextInt(13); // 1 to 4096
                long size = random.nextInt(8) == 0 ? random.nextInt((int) Slabs.MAX_BLOCK + 1) : random.nextInt(200);
                MemorySegment segment = arena.allocate(size, alignment);
                assertEquals(size, segment.byteSize());
                assertEquals(0, segment.address() % alignment, "size " + size + " alignment " + alignment);
                assertEquals(0, segment.address() % Slabs.MIN_ALIGNMENT, "every block starts where a malloc'ed one would");
                long[] slab = arena.currentSlab();
                assertNotNull(slab);
                assertTrue(slab[0] <= segment.address() && segment.address() + size <= slab[1],
                        "block [" + segment.address() + ", +" + size + ") outside its slab [" + slab[0] + ", " + slab[1] + ")");
                assertTrue(allZero(segment), "zeroed");
                byte pattern = (byte) (i % 251 + 1);
                segment.fill(pattern);
                blocks.add(new Block(segment, pattern));
                capacity += size;
            }
            assertDisjointAndIntact(blocks);
            Ledger.Snapshot during = stats();
            assertEquals(3000, during.count());
            assertEquals(capacity, during.totalCapacity());
            assertTrue(during.reservedMemory() > during.totalCapacity(), "padding and retired slabs' ends: " + during);
        }
        assertEquals(3000, stats().freedExplicitly());
    }

    @Test
    void theFirstSlabFitsTheFirstBlockAndLaterOnesDoubleUpToTheirCap() {
        try (NativeArenaImpl arena = (NativeArenaImpl) NativeArenaImpl.create(NativeArenaImpl.Kind.CONFINED, ledger)) {
            assertNull(arena.currentSlab(), "no slab before the first block");
            List<Long> sizes = new ArrayList<>();
            long[] last = null;
            for (int i = 0; i < 4000; i++) {
                arena.allocate(64, 16);
                long[] slab = arena.currentSlab();
                if (last == null || slab[0] != last[0]) {
                    sizes.add(slab[1] - slab[0]);
                }
                last = slab;
            }
            assertEquals(List.of(64L, 128L, 256L, 512L, 1024L, 2048L, 4096L, 8192L, 16384L, 32768L, 65536L, 65536L,
                    65536L), sizes);
            // Every slab was filled exactly by 64-byte blocks: nothing was held beyond their capacity.
            assertEquals(stats().totalCapacity(), stats().reservedMemory());
        }
    }

    @Test
    void whatASlabHoldsBeyondItsBlocksIsChargedWhenItIsRetiredAndReturnedAtClose() {
        NativeArenaImpl arena = (NativeArenaImpl) NativeArenaImpl.create(NativeArenaImpl.Kind.CONFINED, ledger);
        arena.allocate(1000, 8); // a slab of 1008 bytes
        assertEquals(1000, stats().reservedMemory(), "the current slab's slack is not counted yet");
        arena.allocate(4096, 8); // does not fit: a slab of 4096, and the first is retired with 8 bytes unused
        assertEquals(5096, stats().totalCapacity());
        assertEquals(5096 + 8, stats().reservedMemory());
        arena.allocate(16, 64); // a slab of max(8192, 16 + 48): 48 bytes of padding at most in front
        assertEquals(5112, stats().totalCapacity());
        assertEquals(5112 + 8, stats().reservedMemory(), "the second slab was filled exactly");
        arena.allocate(Slabs.MAX_BLOCK + 1, 16); // a block of its own: no overhead
        assertEquals(5112 + 4097 + 8, stats().reservedMemory());
        arena.close();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aMixOfSmallAndLargeBlocksIsCountedExactlyAndFreedAtClose(Kind kind) {
        long capacity = 0;
        List<Block> blocks = new ArrayList<>();
        try (NativeArena arena = NativeArenaImpl.create(kind.kind, ledger)) {
            long[] sizes = {8, 70_000, 4096, 4097, 0, 1 << 20, 100, 3, 200_000, 64};
            for (int round = 0; round < 5; round++) {
                for (int i = 0; i < sizes.length; i++) {
                    MemorySegment segment = arena.allocate(sizes[i], i % 2 == 0 ? 16 : 8192);
                    assertTrue(allZero(segment));
                    byte pattern = (byte) (round * sizes.length + i + 1);
                    segment.fill(pattern);
                    blocks.add(new Block(segment, pattern));
                    capacity += sizes[i];
                }
            }
            assertDisjointAndIntact(blocks);
            Ledger.Snapshot during = stats();
            assertEquals(50, during.count());
            assertEquals(capacity, during.totalCapacity());
            assertTrue(during.reservedMemory() >= during.totalCapacity(), during.toString());
        }
        assertEquals(50, stats().freedExplicitly());
        for (Block block : blocks) {
            if (block.segment.byteSize() > 0) {
                assertThrows(IllegalStateException.class, () -> block.segment.get(ValueLayout.JAVA_BYTE, 0));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aClosedArenaRefusesSmallAndLargeBlocksAndTheLedgerIsUntouched(Kind kind) {
        NativeArena arena = NativeArenaImpl.create(kind.kind, ledger);
        arena.allocate(64);
        arena.close();
        Ledger.Snapshot before = stats();
        assertThrows(IllegalStateException.class, () -> arena.allocate(64));
        assertThrows(IllegalStateException.class, () -> arena.allocate(1 << 20));
        assertThrows(IllegalStateException.class, () -> arena.allocateBuffer(16));
        assertThrows(IllegalStateException.class, arena::close);
        assertEquals(before, stats());
    }

    /**
     * A confined arena carves a block that fits in its current slab on a hot path of its own (see
     * {@code NativeArenaImpl.allocate}): with room left in the slab, every mistake must still meet
     * the slow path's checks, in the same order and with the same messages.
     */
    @Test
    void withRoomInTheSlabBadInputOtherThreadsAndAClosedArenaAreRefusedAsBefore() throws Exception {
        NativeArenaImpl arena = (NativeArenaImpl) NativeArenaImpl.create(NativeArenaImpl.Kind.CONFINED, ledger);
        arena.allocate(64, 16); // a slab of 64, full
        arena.allocate(64, 16); // a slab of 128: 64 bytes left
        long[] slab = arena.currentSlab();
        Ledger.Snapshot before = stats();
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class, () -> arena.allocate(-16, 16));
        assertEquals("Invalid size: -16 (must be >= 0)", size.getMessage());
        IllegalArgumentException alignment = assertThrows(IllegalArgumentException.class, () -> arena.allocate(16, 24));
        assertEquals("Invalid alignment: 24 (must be a power of two)", alignment.getMessage());
        assertThrows(IllegalArgumentException.class, () -> arena.allocate(16, 0));
        assertThrows(IllegalArgumentException.class, () -> arena.allocate(-1, 3)); // the size is checked first
        AtomicReference<Throwable> elsewhere = new AtomicReference<>();
        Thread other = new Thread(() -> {
            try {
                arena.allocate(16, 16);
            } catch (Throwable t) {
                elsewhere.set(t);
            }
        });
        other.start();
        other.join();
        assertTrue(elsewhere.get() instanceof WrongThreadException, String.valueOf(elsewhere.get()));
        assertEquals(before, stats());

        MemorySegment carved = arena.allocate(48, 16); // from the room left
        assertArrayEquals(slab, arena.currentSlab());
        assertTrue(slab[0] <= carved.address() && carved.address() + 48 <= slab[1]);
        assertTrue(allZero(carved));
        assertEquals(3, stats().count());
        assertEquals(176, stats().totalCapacity());

        arena.close();
        Ledger.Snapshot closed = stats();
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> arena.allocate(16, 16));
        assertEquals("Already closed: this confined arena was closed and allocates nothing more", refused.getMessage());
        assertThrows(IllegalStateException.class, () -> arena.allocateBuffer(0));
        assertThrows(IllegalStateException.class, () -> carved.fill((byte) 1));
        assertEquals(closed, stats());
        assertEquals(3, closed.freedExplicitly());
    }

    @Test
    void anArenaThatNeverAllocatesRegistersNothing() {
        int registeredBefore = ledger.reclaimQueue().registered().size();
        NativeArenaImpl.create(NativeArenaImpl.Kind.CONFINED, ledger).close();
        NativeArenaImpl.create(NativeArenaImpl.Kind.SHARED, ledger).close();
        NativeArenaImpl.create(NativeArenaImpl.Kind.CONFINED, ledger); // and is left to the GC
        assertEquals(registeredBefore, ledger.reclaimQueue().registered().size());
        NativeArenaImpl.create(NativeArenaImpl.Kind.CONFINED, ledger).allocate(1);
        assertEquals(registeredBefore + 1, ledger.reclaimQueue().registered().size());
        try (CapturedLog log = CapturedLog.ofRuntime()) {
            new GcDrain(ledger).untilEmpty();
            assertEquals(1, log.messages().size(), "only the arena that allocated was registered, and leaked: "
                    + log.messages());
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void theLimitIsChargedPerBlockExactly(Kind kind) {
        // 1000 bytes of limit: 9 blocks of 100, one of 99 and one of 1 fit exactly, from slabs of
        // their own sizes and more; one byte more does not, whatever the slabs hold beyond.
        Ledger small = new Ledger(1000, Ledger.Reclaimer.NONE);
        try (NativeArena arena = NativeArenaImpl.create(kind.kind, small)) {
            for (int i = 0; i < 9; i++) {
                arena.allocate(100, 16);
            }
            arena.allocate(99, 1);
            arena.allocate(1, 1);
            assertEquals(1000, small.snapshot(0, 0).totalCapacity());
            OutOfMemoryError refused = assertThrows(OutOfMemoryError.class, () -> arena.allocate(1, 1));
            assertEquals("Cannot reserve 1 bytes of native memory (allocated: 1000, limit: 1000)", refused.getMessage());
            assertThrows(OutOfMemoryError.class, () -> arena.allocate(Slabs.MAX_BLOCK + 1, 16));
            arena.allocate(0, 1); // an empty block takes nothing from the limit
            Ledger.Snapshot full = small.snapshot(0, 0);
            assertEquals(12, full.count());
            assertEquals(1000, full.totalCapacity());
            assertEquals(2, full.failedReservations());
        }
        Ledger.Snapshot after = small.snapshot(0, 0);
        assertEquals(0, after.count());
        assertEquals(0, after.totalCapacity());
        assertEquals(0, after.reservedMemory());
        assertEquals(12, after.freedExplicitly());
    }

    @Test
    void aLeakedArenaWithSlabsIsFreedByTheGcAndReportedWithItsExactBlocksAndBytes() {
        List<LeakReport> reports = new CopyOnWriteArrayList<>();
        var previous = NativeMemory.setLeakListener(reports::add);
        try (CapturedLog log = CapturedLog.ofRuntime()) {
            long bytes = leakAnArenaWithSlabs();
            new GcDrain(ledger).untilEmpty();
            // Then either the hint to run with leakDetection=all, or, if this arena was one of those
            // sampled once a leak was seen (1 in 256), where it was created.
            assertEquals(1, log.messages().size(), log.messages().toString());
            assertTrue(log.messages().get(0).startsWith("WARNING: A confined arena was not closed: its 302 blocks ("
                    + bytes + " bytes) were freed by the cleaner once it became unreachable "), log.messages().toString());
            List<LeakReport> ours = reports.stream().filter(r -> r.bytes() == bytes).toList();
            assertEquals(1, ours.size(), reports.toString());
            assertEquals("confined", ours.get(0).kind());
            assertEquals(302, ours.get(0).blocks());
            assertEquals(302, stats().freedByGc());
        } finally {
            NativeMemory.setLeakListener(previous);
        }
    }

    /** 300 small blocks over several slabs and two of their own; returns their bytes. */
    private long leakAnArenaWithSlabs() {
        NativeArena arena = NativeArenaImpl.create(NativeArenaImpl.Kind.CONFINED, ledger);
        long bytes = 0;
        for (int i = 0; i < 300; i++) {
            bytes += arena.allocate(i * 7 % 1000, 16).byteSize();
        }
        bytes += arena.allocate(10_000, 16).byteSize() + arena.allocate(333_333, 64).byteSize();
        return bytes;
    }

    @Test
    void aSharedArenaCarvesForManyThreadsAtOnce() throws Exception {
        int threads = 4;
        int perThread = 2000;
        List<Block> blocks = Collections.synchronizedList(new ArrayList<>());
        AtomicLong capacity = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (NativeArena arena = NativeArenaImpl.create(NativeArenaImpl.Kind.SHARED, ledger)) {
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                workers.add(Thread.ofPlatform().start(() -> {
                    try {
                        SplittableRandom random = new SplittableRandom(id);
                        start.await();
                        for (int i = 0; i < perThread; i++) {
                            long size = random.nextInt(300);
                            MemorySegment segment = arena.allocate(size, 1L << random.nextInt(7));
                            if (!allZero(segment)) {
                                throw new AssertionError("not zeroed: " + segment);
                            }
                            byte pattern = (byte) (id * 50 + i % 50 + 1);
                            segment.fill(pattern);
                            blocks.add(new Block(segment, pattern));
                            capacity.addAndGet(size);
                        }
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                }));
            }
            start.countDown();
            for (Thread worker : workers) {
                worker.join();
            }
            assertNull(failure.get());
            assertDisjointAndIntact(blocks);
            assertEquals(threads * perThread, stats().count());
            assertEquals(capacity.get(), stats().totalCapacity());
        }
    }

    @Test
    void threadsCarvingWhileAnotherClosesTheSharedArenaLoseNoBlock() throws Exception {
        long deadline = System.nanoTime() + 2_000_000_000L;
        AtomicLong accepted = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int rounds = 0;
        while (System.nanoTime() < deadline) {
            rounds++;
            NativeArena arena = NativeArenaImpl.create(NativeArenaImpl.Kind.SHARED, ledger);
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> carvers = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int id = t;
                carvers.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                        for (int i = 0; ; i++) { // until the arena is closed under us
                            arena.allocate(id == 0 && i % 10 == 0 ? 10_000 : 64, 16);
                            accepted.incrementAndGet();
                        }
                    } catch (IllegalStateException closed) {
                        // expected: the arena was closed
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                }));
            }
            start.countDown();
            Thread.sleep(rounds % 3);
            arena.close();
            for (Thread carver : carvers) {
                carver.join();
            }
            assertNull(failure.get());
            Ledger.Snapshot s = stats();
            assertEquals(0, s.count(), "round " + rounds + ": every accepted block freed");
            assertEquals(0, s.reservedMemory(), "round " + rounds);
        }
        assertEquals(accepted.get(), stats().freedExplicitly(), "freed once each");
        assertTrue(rounds > 20 && accepted.get() > 1000, rounds + " rounds, " + accepted + " blocks");
    }

    @Test
    void slabBlocksBehaveAsBuffersToo() {
        try (NativeArena arena = NativeArenaImpl.create(NativeArenaImpl.Kind.CONFINED, ledger)) {
            NativeBuffer a = arena.allocateBuffer(24);
            NativeBuffer b = arena.allocateBuffer(24, 64);
            a.putLong(1).putLong(2).putLong(3).flip();
            b.putLong(0, -1);
            assertEquals(1, a.getLong());
            assertEquals(16, a.alignment());
            assertEquals(64, b.alignment());
            assertArrayEquals(new long[] {2, 3}, new long[] {a.getLong(), a.getLong()});
            assertEquals(-1, b.getLong(0));
        }
    }

    /** Collects until the test's ledger is empty: its queue has no thread, so the test drains it. */
    private record GcDrain(Ledger ledger) {
        void untilEmpty() {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (ledger.snapshot(0, 0).count() != 0 && System.nanoTime() < deadline) {
                System.gc();
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                ledger.reclaimQueue().drain();
            }
            ledger.reclaimQueue().drain(); // the registered records that held no block yet
        }
    }
}
