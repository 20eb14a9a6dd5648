package io.nativemem.jcstress;

import io.nativemem.internal.Ledger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZJ_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * 80 of 100 bytes are held; one thread releases them while another reserves 50: the reservation
 * wins only after the release, and no update is lost.
 */
@JCStressTest
@Description("A release of 80 bytes races a reservation of 50 under a limit of 100")
@Outcome(id = "true, 50", expect = ACCEPTABLE, desc = "the reservation saw the release")
@Outcome(id = "false, 0", expect = ACCEPTABLE, desc = "the reservation came first and did not fit")
@Outcome(expect = FORBIDDEN, desc = "a lost update, an overshoot or a negative capacity")
@State
public class ReserveRacesRelease {

    private final Ledger ledger = Ledgers.holding(100, 80);

    @Actor
    public void release() {
        ledger.release(80, 1);
    }

    @Actor
    public void reserve(ZJ_Result r) {
        r.r1 = ledger.tryReserve(50);
    }

    @Arbiter
    public void capacity(ZJ_Result r) {
        r.r2 = Ledgers.capacity(ledger);
    }
}
