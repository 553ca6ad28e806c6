namespace MadBase.Fuzz;

/// <summary>
/// One fuzz target: a harness and the most it may allocate for one input
/// (<see cref="FixedAllocationBudget"/> plus <see cref="AllocationPerInputByte"/> times the input's length).
/// </summary>
internal sealed record FuzzTarget(string Name, FuzzHarness Harness, long FixedAllocationBudget, int AllocationPerInputByte, string Codecs)
{
    /// <summary>
    /// Runs the harness and enforces the allocation budget: a codec that allocates far more than its input (a length
    /// field trusted before it is checked) is a finding even if it ends in its typed error. An input over budget is
    /// measured a second time, so the one-time costs of a path's first use (type loading, caches) do not count.
    /// </summary>
    public void Run(ReadOnlySpan<byte> input)
    {
        var budget = FixedAllocationBudget + ((long)AllocationPerInputByte * input.Length);
        var allocated = Measure(input);
        if (allocated > budget && (allocated = Measure(input)) > budget)
        {
            throw new FuzzFindingException($"{Name}: allocated {allocated} bytes for a {input.Length}-byte input (budget {budget}).");
        }
    }

    /// <summary>Bytes one run allocates on this thread, less the harness's own (<see cref="HarnessAllocations"/>; replay prints it).</summary>
    public long Measure(ReadOnlySpan<byte> input)
    {
        HarnessAllocations.Reset();
        var before = GC.GetAllocatedBytesForCurrentThread();
        Harness(input);
        return GC.GetAllocatedBytesForCurrentThread() - before - HarnessAllocations.Bytes;
    }
}
