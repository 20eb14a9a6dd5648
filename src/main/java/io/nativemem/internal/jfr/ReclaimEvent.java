package io.nativemem.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** Blocks freed in one go after the GC found them unreachable. */
@Name("io.nativemem.Reclaim")
@Label("Native Memory Reclaim")
@Category({"Java Application", "nativemem"})
@Description("Native memory freed by the runtime's cleaner after the GC found it unreachable")
@StackTrace(false)
public final class ReclaimEvent extends Event {

    @Label("Blocks")
    public long blocks;

    @Label("Freed")
    @DataAmount
    public long bytes;

    @Label("On Allocating Thread")
    @Description("Freed by a thread that needed room, rather than by the reclaimer thread")
    public boolean byAllocatingThread;
}
