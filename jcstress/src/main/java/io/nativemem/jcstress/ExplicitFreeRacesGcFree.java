package io.nativemem.jcstress;

import io.nativemem.internal.BlockCleanup;
import io.nativemem.internal.NativeBlocks;
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
 * A real 64-byte block, allocated through the runtime's pipeline into a ledger of its own, whose
 * reference the GC has handed over: one thread closes it ({@code runExplicitly}, what
 * {@code NativeBuffer.close()} does) while the reclaimer drains the queue (the GC's free). Exactly
 * one of them frees it, and the ledger counts the frees: a second one would show as -1 live blocks
 * and 2 frees (and glibc may abort on it).
 */
@JCStressTest
@Description("close() races the GC's free of the same block")
@Outcome(id = "1, 0, 0, 1", expect = ACCEPTABLE, desc = "close() freed it (1); the reclaimer found it done (0)")
@Outcome(id = "0, 1, 0, 1", expect = ACCEPTABLE, desc = "the reclaimer freed it (1); close() found it done (0)")
@Outcome(expect = FORBIDDEN, desc = "freed twice or never")
@State
public class ExplicitFreeRacesGcFree {

    private final ReclaimQueue queue = ReclaimQueue.unserved();
    private final Ledger ledger = new Ledger(1 << 20, Ledger.Reclaimer.NONE);
    private final Object scope = new Object();
    private final BlockCleanup cleanup;

    public ExplicitFreeRacesGcFree() {
        long address = NativeBlocks.allocate(ledger, 64, 16);
        cleanup = new BlockCleanup(scope, address, 64, ledger, queue);
        cleanup.enqueue(); // the GC found the scope unreachable and handed the reference over
    }

    @Actor
    public void close(JJJJ_Result r) {
        r.r1 = cleanup.runExplicitly() ? 1 : 0;
    }

    @Actor
    public void reclaimer(JJJJ_Result r) {
        r.r2 = queue.drain();
    }

    @Arbiter
    public void counters(JJJJ_Result r) {
        Ledger.Snapshot s = ledger.snapshot(0, 0);
        r.r3 = s.count();
        r.r4 = s.freedByGc() + s.freedExplicitly();
    }
}
