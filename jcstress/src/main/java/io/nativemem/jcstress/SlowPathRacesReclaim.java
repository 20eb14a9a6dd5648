package io.nativemem.jcstress;

import io.nativemem.internal.Reservations;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZJ_Result;

import java.util.concurrent.atomic.AtomicBoolean;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * 80 of 100 bytes belong to a block the GC found unreachable. One thread plays the reclaimer and
 * frees it; another reserves 60, which does not fit until the block is freed, so it takes the
 * slow path, where it may free the block itself. Either way the block is freed exactly once and
 * the reservation succeeds.
 */
@JCStressTest
@Description("The slow path races the reclaimer for the same unreachable block")
@Outcome(id = "true, 60", expect = ACCEPTABLE, desc = "reserved; the block freed once")
@Outcome(expect = FORBIDDEN, desc = "the reservation failed, or the block was freed twice or never")
@State
public class SlowPathRacesReclaim {

    private final AtomicBoolean pending = new AtomicBoolean(true);
    private final Reservations ledger;

    public SlowPathRacesReclaim() {
        ledger = new Reservations(100, new Reservations.Reclaimer() {
            @Override
            public int reclaimPending() {
                return reclaim() ? 1 : 0;
            }

            @Override
            public boolean requestGc(boolean force) {
                return false;
            }
        });
        ledger.tryReserve(80, 0);
    }

    private boolean reclaim() {
        if (pending.compareAndSet(true, false)) {
            ledger.release(80, 0, 1);
            return true;
        }
        return false;
    }

    @Actor
    public void reclaimer() {
        reclaim();
    }

    @Actor
    public void allocator(ZJ_Result r) {
        try {
            ledger.reserve(60, 0);
            r.r1 = true;
        } catch (OutOfMemoryError e) {
            r.r1 = false;
        }
    }

    @Arbiter
    public void capacity(ZJ_Result r) {
        r.r2 = Ledgers.capacity(ledger);
    }
}
