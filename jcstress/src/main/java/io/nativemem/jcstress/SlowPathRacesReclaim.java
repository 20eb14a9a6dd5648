package io.nativemem.jcstress;

import io.nativemem.internal.BlockCleanup;
import io.nativemem.internal.LibcAllocator;
import io.nativemem.internal.ReclaimQueue;
import io.nativemem.internal.Ledger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJJJ_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * 80 of 100 bytes belong to a real 80-byte block whose reference the GC has handed over (it is in
 * the reclaim queue). The reclaimer drains the queue; another thread reserves 60, which does not
 * fit until the block is freed, so it takes the slow path, which drains the same queue. Nothing of
 * the test guards the free: only the runtime's queue and its cleanup's compare-and-set stand
 * between the block and a second free, which the ledger would show (capacity -20, live blocks
 * 0, 2 frees; glibc may also abort on the double free).
 */
@JCStressTest
@Description("The slow path and the reclaimer drain the same queue for the same unreachable block")
@Outcome(id = "1, 60, 1, 1", expect = ACCEPTABLE, desc = "reserved (1); capacity 60; 1 live block; the block freed once")
@Outcome(expect = FORBIDDEN, desc = "the reservation failed, or the block was freed twice or never")
@State
public class SlowPathRacesReclaim {

    private static final long BLOCK = 80;

    private final ReclaimQueue queue = ReclaimQueue.unserved();
    private final Ledger ledger = new Ledger(100, new Ledger.Reclaimer() {
        @Override
        public int reclaimPending() {
            return queue.drain();
        }

        @Override
        public boolean requestGc(boolean force) {
            return false;
        }
    });
    // Held by the state, so only the test's enqueue() hands the cleanup over, never a real GC.
    private final Object scope = new Object();

    public SlowPathRacesReclaim() {
        long address = LibcAllocator.allocateZeroed(BLOCK, 16);
        if (address == 0 || !ledger.tryReserve(BLOCK)) {
            throw new IllegalStateException("cannot set up the block");
        }
        ledger.commit(BLOCK);
        new BlockCleanup(scope, address, BLOCK, ledger, queue).enqueue(); // what the GC does
    }

    @Actor
    public void reclaimer() {
        queue.drain();
    }

    @Actor
    public void allocator(JJJJ_Result r) {
        try {
            ledger.reserve(60);
            r.r1 = 1;
        } catch (OutOfMemoryError e) {
            r.r1 = 0;
        }
    }

    @Arbiter
    public void counters(JJJJ_Result r) {
        Ledger.Snapshot s = ledger.snapshot(0, 0);
        r.r2 = s.totalCapacity();
        r.r3 = s.count();
        r.r4 = s.freedByGc() + s.freedExplicitly();
    }
}
