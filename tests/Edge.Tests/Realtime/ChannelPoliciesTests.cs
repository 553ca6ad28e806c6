using MadBase.Edge.Realtime.Authorization;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>The pure rules over realtime.messages grants: who may join, and when a refreshed token loses a read.</summary>
[Trait("Kind", "InProcess")]
public sealed class ChannelPoliciesTests
{
    [Theory]
    [InlineData(true, null, true)]
    [InlineData(false, true, true)]
    [InlineData(false, false, false)]
    [InlineData(false, null, false)]
    [InlineData(null, null, false)]
    public void CanJoin_BroadcastOrPresenceRead_AnyReadSuffices(bool? broadcastRead, bool? presenceRead, bool expected)
    {
        Assert.Equal(expected, new ChannelPolicies(broadcastRead, presenceRead, null, null).CanJoin);
    }

    [Fact]
    public void LosesReadIn_BroadcastReadRevoked_True()
    {
        var before = new ChannelPolicies(true, null, true, true);

        Assert.True(before.LosesReadIn(new ChannelPolicies(false, null, null, null)));
    }

    [Fact]
    public void LosesReadIn_PresenceReadRevokedBroadcastKept_True()
    {
        var before = new ChannelPolicies(true, true, null, null);

        Assert.True(before.LosesReadIn(new ChannelPolicies(true, false, null, null)));
    }

    [Fact]
    public void LosesReadIn_ReadNeverGrantedNowGranted_False()
    {
        var before = new ChannelPolicies(false, true, null, null);

        Assert.False(before.LosesReadIn(new ChannelPolicies(true, true, null, null)));
    }

    [Fact]
    public void LosesReadIn_FromServiceRoleToDeniedUser_True()
    {
        Assert.True(ChannelPolicies.All.LosesReadIn(new ChannelPolicies(false, false, null, null)));
    }

    [Fact]
    public void WithWrites_AfterRead_KeepsReadsAndSetsWrites()
    {
        var policies = new ChannelPolicies(true, false, null, null).WithWrites(broadcast: false, presence: true);

        Assert.Equal(new ChannelPolicies(true, false, false, true), policies);
        Assert.True(policies.WritesEvaluated);
    }
}
