package io.nativemem.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A reservation that did not fit at once and went through the GC-assisted slow path. */
@Name("io.nativemem.ReservationWait")
@Label("Native Memory Reservation Wait")
@Category({"Java Application", "nativemem"})
@Description("An allocation that did not fit under the limit and waited for the GC to free memory")
@StackTrace(true)
public final class ReservationWaitEvent extends Event {

    @Label("Size")
    @DataAmount
    public long size;

    @Label("Allocated")
    @Description("Capacity in use when the reservation had to wait")
    @DataAmount
    public long allocated;

    @Label("Limit")
    @DataAmount
    public long limit;

    @Label("GCs Requested")
    public int gcsRequested;

    @Label("Succeeded")
    public boolean succeeded;
}
