package io.nativemem.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A reservation that failed with OutOfMemoryError. */
@Name("io.nativemem.ReservationFailure")
@Label("Native Memory Reservation Failure")
@Category({"Java Application", "nativemem"})
@Description("An allocation that failed with OutOfMemoryError: the limit left no room even after the GC, "
        + "or libc had no memory for a reservation that fitted")
@StackTrace(true)
public final class ReservationFailureEvent extends Event {

    @Label("Size")
    @DataAmount
    public long size;

    @Label("Allocated")
    @DataAmount
    public long allocated;

    @Label("Limit")
    @DataAmount
    public long limit;
}
