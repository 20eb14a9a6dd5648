package io.nativemem;

import io.nativemem.internal.Cohort;
import io.nativemem.internal.Ledger;
import io.nativemem.testing.LedgerBalanceExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A GC-managed block that stays open while the blocks of its cohort are closed: the slow path of
 * a reservation evicts the cohort ({@link Cohort#flush()}, called here directly), which frees the
 * closed blocks at once; the open ones keep their bytes and their cursor, move to a scope of their
 * own on their next access, and are freed when closed or when the GC finds them unreachable.
 */
class EvictionTest {

    @BeforeEach
    void startFromAnEmptyLedger() {
        assertEquals(0, LedgerBalanceExtension.Ledger.awaitEmpty().count());
    }

    /**
     * Allocates {@code n} buffers of {@code size}, each with its index at 0, minus its index in its
     * last 8 bytes, and its position at 8.
     */
    private static List<NativeBuffer> numbered(int n, int size) {
        List<NativeBuffer> buffers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            // In a cohort from the start, as the first access from another thread would move it.
            NativeBuffer buffer = DirectBlock.allocateShared(Ledger.global(), size, NativeArena.DEFAULT_BUFFER_ALIGNMENT);
            buffer.putLong(0, i).putLong(size - 8, -i).position(8);
            buffers.add(buffer);
        }
        return buffers;
    }

    /** Closes the odd buffers and returns the even ones. */
    private static List<NativeBuffer> closeEveryOther(List<NativeBuffer> buffers) {
        List<NativeBuffer> open = new ArrayList<>();
        for (int i = 0; i < buffers.size(); i++) {
            if (i % 2 == 0) {
                open.add(buffers.get(i));
            } else {
                buffers.get(i).close();
            }
        }
        return open;
    }

    @Test
    void theClosedBlocksOfACohortAreFreedWhileItsOtherBlocksStayOpenAndWhole() throws Exception {
        MemoryStats before = NativeMemory.stats();
        List<NativeBuffer> open = closeEveryOther(numbered(64, 1024));
        assertEquals(before.count() + 64, NativeMemory.stats().count(), "closed blocks wait for their cohort");

        Cohort.flush();

        assertEquals(before.count() + 32, NativeMemory.stats().count(), "the 32 closed blocks freed");
        assertEquals(before.freedExplicitly() + 32, NativeMemory.stats().freedExplicitly());
        // Every kind of access still works on the open blocks, each the first access after the eviction.
        for (int k = 0; k < open.size(); k++) {
            NativeBuffer buffer = open.get(k);
            long index = 2L * k;
            assertTrue(buffer.isAlive());
            switch (k % 10) {
                case 0 -> assertEquals(index, buffer.getLong(0));
                case 1 -> {
                    buffer.putInt(77); // relative: the cursor moved with the block
                    assertEquals(12, buffer.position());
                    assertEquals(77, buffer.getInt(8));
                }
                case 2 -> {
                    byte[] bytes = new byte[8];
                    buffer.get(0, bytes);
                    assertEquals(index, ByteBuffer.wrap(bytes).getLong());
                }
                case 3 -> assertEquals(index, buffer.segment().get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(
                        java.nio.ByteOrder.BIG_ENDIAN), 0));
                case 4 -> assertEquals(index, buffer.position(0).asByteBuffer().getLong(0));
                case 5 -> assertEquals(index, buffer.duplicate().getLong(0));
                case 6 -> {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    buffer.position(0).limit(8);
                    assertEquals(8, buffer.write(Channels.newChannel(out)));
                    assertEquals(index, ByteBuffer.wrap(out.toByteArray()).getLong());
                }
                case 8 -> { // overlapping copies between buffers of one block are held off from evictions
                    NativeBuffer duplicate = buffer.duplicate().position(0).limit(8);
                    buffer.position(4).put(duplicate);
                    assertEquals(index, buffer.getLong(4));
                }
                case 9 -> {
                    ByteBuffer nio = buffer.position(0).asByteBuffer().limit(8);
                    buffer.position(2).put(nio);
                    assertEquals(index, buffer.getLong(2));
                }
                default -> {
                    if (k < 10) {
                        buffer.position(4).compact(); // an overlapping copy, held off from any eviction
                        assertEquals(1020, buffer.position());
                        assertEquals((int) index, buffer.getInt(0), "the low half of the long moved to 0");
                    } else {
                        buffer.position(1016).compact(); // apart: tried again after the move
                        assertEquals(8, buffer.position());
                        assertEquals(-index, buffer.getLong(0));
                    }
                }
            }
        }
        // Closing an open block of an evicted cohort frees it at once, moved or not.
        open.forEach(NativeBuffer::close);
        assertEquals(before.count(), NativeMemory.stats().count(), NativeMemory.stats().toString());
        assertEquals(before.freedExplicitly() + 64, NativeMemory.stats().freedExplicitly());
        assertThrows(IllegalStateException.class, () -> open.get(0).getLong(0));
        assertFalse(open.get(1).isAlive());
    }

    @Test
    void anOpenBlockOfAnEvictedCohortIsFreedByTheGcWhenDropped() {
        MemoryStats before = NativeMemory.stats();
        List<NativeBuffer> open = closeEveryOther(numbered(8, 512));
        Cohort.flush();
        assertEquals(before.count() + 4, NativeMemory.stats().count());
        assertEquals(0, open.get(0).getLong(0)); // this one moves to a scope of its own; the others stay put
        open.clear();
        GcManagedTest.awaitGc(() -> NativeMemory.stats().count() == before.count(), "the 4 open blocks freed");
        assertEquals(before.freedByGc() + 4, NativeMemory.stats().freedByGc());
    }

    /** Each block is watched by the GC on its own: one kept open does not keep its dropped cohort mates. */
    @Test
    void droppedBlocksAreFreedByTheGcWhileTheirCohortMatesStayOpen() {
        MemoryStats before = NativeMemory.stats();
        List<NativeBuffer> all = numbered(64, 1024);
        List<NativeBuffer> open = new ArrayList<>();
        for (int i = 0; i < all.size(); i += 2) {
            open.add(all.get(i));
        }
        all.clear();
        GcManagedTest.awaitGc(() -> NativeMemory.stats().count() == before.count() + 32, "the 32 dropped blocks freed");
        assertEquals(before.freedByGc() + 32, NativeMemory.stats().freedByGc());
        for (int k = 0; k < open.size(); k++) {
            assertEquals(2L * k, open.get(k).getLong(0));
        }
        open.forEach(NativeBuffer::close);
        // Their cohort is still the one admitting blocks: the reclaimer closes it once idle.
        GcManagedTest.awaitGc(() -> NativeMemory.stats().count() == before.count(), "the 32 closed blocks freed");
        assertEquals(before.freedExplicitly() + 32, NativeMemory.stats().freedExplicitly());
    }

    /**
     * Readers loop over open blocks while their cohorts are evicted, one after another: they never
     * fail and never read a wrong value; a thread that compacts its buffer over and over never
     * loses a byte.
     */
    @Test
    void readersAndACompactingWriterRacingWithEvictionsNeverFail() throws Exception {
        MemoryStats before = NativeMemory.stats();
        ConcurrentLinkedQueue<NativeBuffer> survivors = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch started = new CountDownLatch(2);
        NativeBuffer first = NativeBuffer.allocateDirect(256);
        first.putLong(0, 4242);
        survivors.add(first);
        Thread reader = new Thread(() -> {
            started.countDown();
            try {
                while (!stop.get()) {
                    for (NativeBuffer buffer : survivors) {
                        long v = buffer.getLong(0);
                        if (v != buffer.getLong(8) + 4242) {
                            throw new AssertionError("read " + v + " at 0 and " + buffer.getLong(8) + " at 8");
                        }
                    }
                }
            } catch (Throwable t) {
                failures.add(t);
            }
        });
        NativeBuffer compacted = NativeBuffer.allocateDirect(4096);
        Thread compactor = new Thread(() -> {
            started.countDown();
            try {
                for (int round = 0; !stop.get(); round++) {
                    compacted.clear();
                    for (int i = 0; i < 512; i++) {
                        compacted.putLong(round + i);
                    }
                    compacted.flip().position(8); // drop the first long, keep 511: overlaps itself
                    compacted.compact().flip();
                    for (int i = 1; i < 512; i++) {
                        long v = compacted.getLong();
                        if (v != round + i) {
                            throw new AssertionError("round " + round + ": " + v + " where " + (round + i) + " was");
                        }
                    }
                }
            } catch (Throwable t) {
                failures.add(t);
            }
        });
        reader.start();
        compactor.start();
        started.await();
        try {
            for (int round = 0; round < 200 && failures.isEmpty(); round++) {
                List<NativeBuffer> batch = numbered(16, 256);
                NativeBuffer kept = batch.get(round % 16);
                kept.putLong(0, 4242 + round).putLong(8, round);
                for (NativeBuffer buffer : batch) {
                    if (buffer != kept) {
                        buffer.close();
                    }
                }
                survivors.add(kept);
                Cohort.flush();
            }
        } finally {
            stop.set(true);
            reader.join();
            compactor.join();
        }
        assertTrue(failures.isEmpty(), failures.toString());
        assertEquals(before.count() + 202, NativeMemory.stats().count(), "only the open blocks are left");
        survivors.forEach(NativeBuffer::close);
        compacted.close();
        assertEquals(before.count(), NativeMemory.stats().count(), NativeMemory.stats().toString());
    }
}
