package io.nativemem.jcstress;

import io.nativemem.internal.Ledger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJJ_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * A release through one stripe races a reservation through another. Limit 100, batches of 60:
 * 80 bytes reserved through stripe 0 are released through stripe 1, where they become credit
 * (up to two batches stay), while stripe 2 reserves 50, for which only the released bytes make
 * room. The reservation wins only after the release: by draining stripe 1's credit, or by finding
 * the bytes in the total if it had closed the stripes first. No update is lost, no room stays
 * hidden in credit, and the total never passes the limit.
 */
@JCStressTest
@Description("A release of 80 through one stripe races a reservation of 50 through another under a limit of 100")
@Outcome(id = "1, 50, 1", expect = ACCEPTABLE, desc = "the reservation saw the release: 50 in use, 1 live block")
@Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "the reservation came first and did not fit")
@Outcome(expect = FORBIDDEN, desc = "a lost update, room lost in credit, or an overshoot")
@State
public class ReserveRacesRelease {

    private final Ledger ledger = Ledgers.striped(100, 4, 60);

    public ReserveRacesRelease() {
        Ledgers.take(ledger, 0, 80);
    }

    @Actor
    public void release() {
        ledger.release(1, 80, 1);
    }

    @Actor
    public void reserve(JJJ_Result r) {
        r.r1 = ledger.tryReserve(2, 50) ? 1 : 0;
    }

    @Arbiter
    public void ledger(JJJ_Result r) {
        r.r2 = Ledgers.capacityWithinLimit(ledger);
        r.r3 = ledger.snapshot(0, 0).count();
    }
}
