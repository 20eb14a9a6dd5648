package io.nativemem;

import io.nativemem.internal.Cohort;
import io.nativemem.internal.Ledger;
import io.nativemem.testing.LedgerBalanceExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A GC-managed block lives in a confined scope of the thread that allocated it until another
 * thread uses it: closed by its own thread it is freed at once; the first access from another
 * thread, whatever the method, moves it to a cohort and succeeds; closed by another thread, it is
 * freed once its own thread settled it (at its next allocateDirect or close), at once if that
 * thread ended, or by the GC.
 */
class ThreadConfinedBlockTest {

    @BeforeEach
    void startFromAnEmptyLedger() {
        assertEquals(0, LedgerBalanceExtension.Ledger.awaitEmpty().count());
    }

    /** Runs {@code task} on a new thread and returns its result, rethrowing what it threw. */
    private static <T> T onAnotherThread(Callable<T> task) throws Exception {
        FutureTask<T> future = new FutureTask<>(task);
        Thread thread = new Thread(future);
        thread.start();
        thread.join();
        try {
            return future.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    /**
     * Starts a thread that allocates a 4 KiB buffer holding {@code value} at index 0, puts it in
     * {@code out[0]}, then waits for {@code release} (alive, allocating nothing more); returns it
     * once the buffer is there.
     */
    private static Thread ownerThatWaits(long value, CountDownLatch release, NativeBuffer[] out)
            throws InterruptedException {
        CountDownLatch allocated = new CountDownLatch(1);
        Thread owner = new Thread(() -> {
            out[0] = NativeBuffer.allocateDirect(4096).putLong(0, value);
            allocated.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        owner.start();
        allocated.await();
        return owner;
    }

    private static long count() {
        return NativeMemory.stats().count();
    }

    @Test
    void closedOnTheThreadThatAllocatedItIsFreedAtOnce() {
        MemoryStats before = NativeMemory.stats();
        for (long size : new long[] {64, 4096, 1 << 16, 1 << 20}) {
            NativeBuffer buffer = NativeBuffer.allocateDirect(size);
            assertEquals(before.count() + 1, count());
            buffer.putLong(0, 7);
            buffer.close();
            assertEquals(before.count(), count(), "freed by close(), " + size + " B");
            assertFalse(buffer.isAlive());
            assertThrows(IllegalStateException.class, () -> buffer.getLong(0));
        }
        assertEquals(before.freedExplicitly() + 4, NativeMemory.stats().freedExplicitly());
        assertEquals(before.freedByGc(), NativeMemory.stats().freedByGc());
    }

    /** Each access below is the first from another thread on a buffer of its own: each must move it and succeed. */
    @Test
    void theFirstAccessFromAnotherThreadSucceedsWhateverTheMethod(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bytes");
        firstForeignAccess(b -> assertEquals(0x0102030405060708L, b.getLong(8)));
        firstForeignAccess(b -> assertEquals(0x0102030405060708L, b.position(8).getLong()));
        firstForeignAccess(b -> b.putInt(0, 5));
        firstForeignAccess(b -> b.putInt(5));
        firstForeignAccess(b -> {
            byte[] bytes = new byte[8];
            b.get(8, bytes);
            assertEquals(1, bytes[0]);
        });
        firstForeignAccess(b -> b.position(8).compact()); // overlaps itself: a copy that is not repeated
        firstForeignAccess(b -> b.put(NativeBuffer.allocateDirect(16).putLong(0, 1)));
        firstForeignAccess(b -> assertEquals(8, b.mismatch(NativeBuffer.allocateDirect(4096))));
        firstForeignAccess(b -> assertTrue(b.hashCode() != 0));
        firstForeignAccess(b -> assertEquals(0x0102030405060708L, b.segment().get(ValueLayout.JAVA_LONG_UNALIGNED
                .withOrder(java.nio.ByteOrder.BIG_ENDIAN), 8)));
        firstForeignAccess(b -> assertEquals(0x0102030405060708L, b.asByteBuffer().getLong(8)));
        firstForeignAccess(b -> assertEquals(0x0102030405060708L, b.slice(8, 8).getLong(0)));
        firstForeignAccess(b -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
                assertEquals(4096, b.write(Channels.newChannel(out)));
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
            assertEquals(1, out.toByteArray()[8]);
        });
        firstForeignAccess(b -> {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.READ, StandardOpenOption.TRUNCATE_EXISTING)) {
                assertEquals(4096, b.write(channel));
                channel.position(0);
                assertEquals(4096, b.clear().read(channel));
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        });
        firstForeignAccess(b -> {
            b.close();
            assertFalse(b.isAlive());
        });
    }

    private static void firstForeignAccess(Consumer<NativeBuffer> access) throws Exception {
        NativeBuffer buffer = NativeBuffer.allocateDirect(4096);
        buffer.putLong(8, 0x0102030405060708L);
        onAnotherThread(() -> {
            access.accept(buffer);
            return null;
        });
        if (buffer.isAlive()) {
            // Still usable where it was allocated, through its new scope.
            buffer.putLong(16, 3);
            assertEquals(3, buffer.getLong(16));
            buffer.close();
        }
    }

    @Test
    void closedByAnotherThreadIsFreedWhenItsThreadAllocatesAgain() throws Exception {
        MemoryStats before = NativeMemory.stats();
        NativeBuffer buffer = NativeBuffer.allocateDirect(4096);
        buffer.putLong(0, 1);
        onAnotherThread(() -> {
            buffer.close();
            assertFalse(buffer.isAlive());
            return null;
        });
        assertFalse(buffer.isAlive());
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> buffer.getLong(0));
        assertTrue(refused.getMessage().contains("closed"), refused.getMessage());
        // This thread may still be in an access through its confined scope: the block waits for it.
        assertEquals(before.count() + 1, count());
        NativeBuffer.allocateDirect(64).close(); // closes what other threads handed back first
        assertEquals(before.count(), count());
        assertEquals(before.freedExplicitly() + 2, NativeMemory.stats().freedExplicitly());
    }

    @Test
    void movedThenClosedByAnotherThreadIsFreedWhenItsThreadAllocatesAgain() throws Exception {
        MemoryStats before = NativeMemory.stats();
        NativeBuffer buffer = NativeBuffer.allocateDirect(4096);
        onAnotherThread(() -> {
            buffer.putLong(0, 1); // moves it to a cohort
            buffer.close();
            return null;
        });
        assertEquals(before.count() + 1, count());
        NativeBuffer.allocateDirect(64).close();
        Cohort.flush(); // its cohort may still admit blocks: the reclaimer would close it within 0.2 s
        assertEquals(before.count(), count());
    }

    /**
     * Closed by another thread while its own thread lived, then that thread ended without
     * allocating or closing again: nothing on its side will settle the block, and the buffer is
     * still reachable here, so the GC cannot either. The reclaimer settles it (it looks about
     * every 0.1 s); before it did, the block stayed counted until it became unreachable.
     */
    @Test
    void closedByAnotherThreadWhileItsThreadLivedIsFreedSoonAfterThatThreadEnds() throws Exception {
        MemoryStats before = NativeMemory.stats();
        CountDownLatch closed = new CountDownLatch(1);
        NativeBuffer[] made = new NativeBuffer[1];
        Thread owner = ownerThatWaits(3, closed, made);
        NativeBuffer buffer = made[0];
        buffer.close(); // handed back to its thread, which lives
        assertEquals(before.count() + 1, count(), "its thread may be in an access: the block waits for it");
        closed.countDown();
        owner.join();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (count() != before.count() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(before.count(), count(), "still counted 10 s after its thread ended");
        assertEquals(before.freedExplicitly() + 1, NativeMemory.stats().freedExplicitly());
        Reference.reachabilityFence(buffer);
    }

    @Test
    void closedByAnotherThreadAfterItsThreadEndedIsFreedAtOnce() throws Exception {
        MemoryStats before = NativeMemory.stats();
        NativeBuffer buffer = onAnotherThread(() -> NativeBuffer.allocateDirect(4096).putLong(0, 9));
        assertEquals(9, buffer.getLong(0)); // moves it: this thread is not its own
        NativeBuffer untouched = onAnotherThread(() -> NativeBuffer.allocateDirect(64));
        untouched.close();
        assertEquals(before.count() + 1, count(), "a block whose thread ended needs nobody to close its scope");
        buffer.close();
        Cohort.flush();
        assertEquals(before.count(), count());
    }

    /**
     * Every block of a thread starts in one confined scope, which is never closed: once its own
     * thread closed it, what refuses the accesses of the first buffer is that buffer's empty
     * cursor. The same without a view (as past 2 GiB), where the cursor is the buffer's own.
     */
    @Test
    void closedOnItsOwnThreadTheFirstBufferStaysEmptyWhateverItsCursorIsAskedToDo() {
        for (boolean viewed : new boolean[] {true, false}) {
            NativeBuffer buffer = DirectBlock.allocate(Ledger.global(), 64, 8, viewed);
            buffer.putLong(0, 5).position(8);
            buffer.close();
            assertEquals(0, buffer.remaining(), "viewed " + viewed);
            assertThrows(IllegalStateException.class, () -> buffer.getLong(0), "viewed " + viewed);
            buffer.clear().limit(buffer.capacity());
            assertEquals(0, buffer.limit(), "viewed " + viewed);
            assertEquals(0, buffer.position(), "viewed " + viewed);
            assertThrows(IllegalArgumentException.class, () -> buffer.position(8));
            for (Runnable access : new Runnable[] {
                    () -> buffer.getLong(0), () -> buffer.getLong(), () -> buffer.putLong(0, 1),
                    () -> buffer.putLong(1), () -> buffer.get(0, new byte[8]), () -> buffer.get(8)}) {
                IllegalStateException e = assertThrows(IllegalStateException.class, access::run, "viewed " + viewed);
                assertTrue(e.getMessage().contains("closed"), e.getMessage());
            }
        }
    }

    /**
     * A slice lives in a shared scope of its own: an overlapping compact of it on another thread
     * moves the block, not the first buffer. When its own thread settles the move (at its next
     * allocateDirect), that buffer must leave the confined scope, which stays open: from then on
     * the memory is freed when the cohort's scope closes, and only that scope can stop its
     * accesses.
     */
    @Test
    void theFirstBufferLeavesTheConfinedScopeWhenItsThreadSettlesAMoveBySlice() throws Exception {
        MemoryStats before = NativeMemory.stats();
        NativeBuffer first = NativeBuffer.allocateDirect(64).putLong(0, 1).putLong(8, 2);
        MemorySegment.Scope confined = first.segment.scope();
        NativeBuffer slice = first.slice();
        onAnotherThread(() -> slice.position(8).compact()); // moves the block, hands it back
        assertEquals(2, first.getLong(0), "still on the confined scope, which holds the block");
        assertEquals(before.count() + 1, count());
        NativeBuffer.allocateDirect(8).close(); // settles the move
        assertNotSame(confined, first.segment.scope(), "the first buffer left the confined scope");
        assertEquals(2, first.getLong(0));
        onAnotherThread(() -> {
            first.close();
            return null;
        });
        Cohort.flush();
        assertEquals(before.count(), count());
        assertThrows(IllegalStateException.class, () -> first.getLong(0));
    }

    /**
     * A slice lives in a shared scope of its own: an overlapping compact of it on another thread
     * moves the block without moving the buffer allocateDirect returned, which still works on the
     * confined scope of a thread that ended; that buffer must move at its next access.
     */
    @Test
    void theFirstBufferMovesAfterASliceMovedTheBlockOnceItsThreadEnded() throws Exception {
        MemoryStats before = NativeMemory.stats();
        NativeBuffer[] first = new NativeBuffer[1];
        NativeBuffer slice = onAnotherThread(() -> {
            first[0] = NativeBuffer.allocateDirect(64).putLong(0, 1).putLong(8, 2);
            return first[0].slice();
        });
        slice.position(8).compact(); // 56 bytes moved 8 down: the copy overlaps itself
        assertEquals(2, first[0].getLong(0));
        assertEquals(2, first[0].position(0).getLong());
        first[0].close();
        Cohort.flush();
        assertEquals(before.count(), count());
    }

    @Test
    void closedByAnotherThreadWhileItsThreadWaitsIsFreedByTheGcOnceUnreachable() throws Exception {
        closedElsewhereWhileItsThreadWaits(false);
    }

    /**
     * A moved block waits on its thread's stack of blocks handed back: that stack must not keep
     * the block alive, or a thread that never allocates again would hold every block it handed out.
     */
    @Test
    void movedAndClosedElsewhereWhileItsThreadWaitsIsFreedByTheGcOnceUnreachable() throws Exception {
        closedElsewhereWhileItsThreadWaits(true);
    }

    /** A block whose thread waits forever, closed (and first {@code moved}) here, then dropped: the GC frees it. */
    private static void closedElsewhereWhileItsThreadWaits(boolean moved) throws Exception {
        MemoryStats before = NativeMemory.stats();
        CountDownLatch release = new CountDownLatch(1);
        NativeBuffer[] handed = new NativeBuffer[1];
        Thread owner = ownerThatWaits(5, release, handed);
        try {
            if (moved) {
                assertEquals(5, handed[0].getLong(0)); // moves it to a cohort; it waits for its thread
            }
            handed[0].close();
            handed[0] = null;
            Cohort.flush(); // a cohort's scope closed: only the thread's confined scope holds the block
            assertEquals(before.count() + 1, count());
            GcManagedTest.awaitGc(() -> count() == before.count(), "the closed block freed by the GC");
            assertTrue(owner.isAlive());
            assertEquals(before.freedExplicitly() + 1, NativeMemory.stats().freedExplicitly(), "it was closed");
        } finally {
            release.countDown();
            owner.join();
        }
    }

    @Test
    void aBufferFromAnotherThreadCanBeCopiedIntoAndComparedWith() throws Exception {
        NativeBuffer theirs = onAnotherThread(() -> {
            NativeBuffer b = NativeBuffer.allocateDirect(64);
            for (int i = 0; i < 64; i++) {
                b.put(i, (byte) i);
            }
            return b;
        });
        NativeBuffer mine = NativeBuffer.allocateDirect(64);
        mine.put(theirs); // the first access to theirs from this thread: moves it
        mine.flip();
        theirs.rewind();
        assertEquals(theirs, mine);
        assertEquals(0, theirs.compareTo(mine));
        ByteBuffer out = ByteBuffer.allocateDirect(64);
        theirs.get(out);
        assertEquals(63, out.get(63));
        theirs.close();
        mine.close();
    }
}
