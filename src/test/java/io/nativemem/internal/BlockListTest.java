package io.nativemem.internal;

import io.nativemem.MemoryStats;
import io.nativemem.NativeMemory;
import io.nativemem.testing.LedgerBalanceExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An arena's list of blocks on its own, with real blocks from libc against the process's ledger. */
class BlockListTest {

    private MemoryStats before;

    @BeforeEach
    void startFromAnEmptyLedger() {
        before = LedgerBalanceExtension.Ledger.awaitEmpty();
        assertEquals(0, before.count());
    }

    @Test
    void freeAllFreesEveryBlockOnceAndReturnsTheirReservationsTogether() {
        BlockList list = BlockList.confined(Ledger.global());
        long total = 0;
        for (int i = 1; i <= 10; i++) { // past the first array of 2 entries: it grows
            long address = NativeBlocks.allocate(Ledger.global(), 100L * i, 16);
            assertTrue(list.add(address, 100L * i));
            total += 100L * i;
        }
        assertEquals(10, list.count());
        assertEquals(total, list.bytes());
        assertEquals(10, NativeMemory.stats().count());
        assertEquals(total, NativeMemory.stats().totalCapacity());
        list.freeAll(false);
        MemoryStats after = NativeMemory.stats();
        assertEquals(0, after.count());
        assertEquals(0, after.totalCapacity());
        assertEquals(before.freedExplicitly() + 10, after.freedExplicitly());
        assertEquals(before.freedByGc(), after.freedByGc());
        list.freeAll(false); // a second close frees nothing twice (the ledger would underflow)
        assertEquals(after.freedExplicitly(), NativeMemory.stats().freedExplicitly());
    }

    @Test
    void freedByTheGcCountsAsFreedByTheGc() {
        BlockList list = BlockList.concurrent(Ledger.global());
        for (int i = 0; i < 3; i++) {
            assertTrue(list.add(NativeBlocks.allocate(Ledger.global(), 64, 16), 64));
        }
        list.freeAll(true);
        assertEquals(before.freedByGc() + 3, NativeMemory.stats().freedByGc());
        assertEquals(0, NativeMemory.stats().count());
    }

    @Test
    void aFreedListRefusesABlockAndTheCallerStillOwnsIt() {
        for (BlockList list : List.of(BlockList.confined(Ledger.global()), BlockList.concurrent(Ledger.global()))) {
            list.freeAll(false);
            long address = NativeBlocks.allocate(Ledger.global(), 128, 16);
            assertFalse(list.add(address, 128));
            assertEquals(1, NativeMemory.stats().count(), "not freed by the list");
            NativeBlocks.discard(Ledger.global(), address, 128);
        }
        assertEquals(0, NativeMemory.stats().count());
        assertEquals(before.freedExplicitly(), NativeMemory.stats().freedExplicitly(), "discarded, not freed");
    }

    @Test
    void aMappingIsUnmappedWithTheBlocksButIsNotABlock(@TempDir Path dir) throws Exception {
        Path file = Files.write(dir.resolve("m.bin"), new byte[8192]);
        BlockList list = BlockList.confined(Ledger.global());
        long mappedBefore = NativeMemory.stats().mappedCount();
        FileMapper.Region region = FileMapper.map(file, FileChannel.MapMode.READ_ONLY, 100, 5000);
        assertTrue(list.addMapping(region.base(), region.span(), 5000));
        assertTrue(list.add(NativeBlocks.allocate(Ledger.global(), 256, 16), 256));
        assertEquals(1, list.count());
        assertEquals(256, list.bytes());
        assertEquals(mappedBefore + 1, NativeMemory.stats().mappedCount());
        list.freeAll(false);
        assertEquals(mappedBefore, NativeMemory.stats().mappedCount());
        assertEquals(0, NativeMemory.stats().count());
        assertFalse(list.addMapping(region.base(), region.span(), 5000), "a freed list takes no mapping either");
    }

    @Test
    void threadsAddingWhileAnotherThreadFreesTheListLoseNoBlock() throws Exception {
        long deadline = System.nanoTime() + 2_000_000_000L;
        AtomicLong accepted = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int rounds = 0;
        while (System.nanoTime() < deadline) {
            rounds++;
            BlockList list = BlockList.concurrent(Ledger.global());
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> adders = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                adders.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                        for (;;) { // until the list is freed under us
                            long address = NativeBlocks.allocate(Ledger.global(), 64, 16);
                            if (list.add(address, 64)) {
                                accepted.incrementAndGet();
                            } else {
                                NativeBlocks.discard(Ledger.global(), address, 64);
                                refused.incrementAndGet();
                                return;
                            }
                        }
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                }));
            }
            start.countDown();
            Thread.sleep(ThreadLocalRandom.current().nextInt(3));
            list.freeAll(false);
            for (Thread adder : adders) {
                adder.join();
            }
            assertNull(failure.get());
            assertEquals(0, NativeMemory.stats().count(), "round " + rounds + ": every accepted block freed");
        }
        MemoryStats after = NativeMemory.stats();
        assertEquals(3L * rounds, refused.get(), "each adder stopped at its first refusal");
        assertEquals(before.freedExplicitly() + accepted.get(), after.freedExplicitly(), "freed once each");
        assertEquals(0, after.totalCapacity());
        assertTrue(rounds > 20 && accepted.get() > 1000, rounds + " rounds, " + accepted + " blocks");
    }
}
