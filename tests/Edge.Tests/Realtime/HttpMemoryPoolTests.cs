using System.Buffers;
using System.Reflection;
using MadBase.Edge.Realtime.Sockets;
using Microsoft.AspNetCore.Connections;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>
/// The HTTP connections' memory on the epoll transport: blocks of 32 KiB, returned when disposed, and Kestrel's socket
/// transport really takes the pool (its option is internal: a Kestrel that renamed it fails here first).
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class HttpMemoryPoolTests
{
    [Fact]
    public void Rent_GivesAWholeBlock_WhateverTheSizeAsked()
    {
        using var small = HttpMemoryPool.Instance.Rent(16);
        using var any = HttpMemoryPool.Instance.Rent();
        Assert.Equal(HttpMemoryPool.BlockSize, small.Memory.Length);
        Assert.Equal(HttpMemoryPool.BlockSize, any.Memory.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => HttpMemoryPool.Instance.Rent(HttpMemoryPool.BlockSize + 1));
    }

    [Fact]
    public void Dispose_ReturnsTheBlockOnce_AndTheOwnerIsDoneWith()
    {
        var block = HttpMemoryPool.Instance.Rent();
        block.Dispose();
        block.Dispose(); // the pipe may dispose twice on teardown paths: the array must not go back twice
        Assert.Throws<ObjectDisposedException>(() => block.Memory);
    }

    [Fact]
    public void Rent_AfterADispose_ReusesTheBlock()
    {
        var first = HttpMemoryPool.Instance.Rent();
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(first.Memory, out var released));
        first.Dispose();

        // Only this class rents from the pool in this process, and its tests run one at a time: the free list is ours.
        var seen = new List<IMemoryOwner<byte>>();
        try
        {
            for (var i = 0; i < 300; i++)
            {
                var block = HttpMemoryPool.Instance.Rent();
                seen.Add(block);
                Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(block.Memory, out var array));
                if (ReferenceEquals(array.Array, released.Array))
                {
                    return;
                }
            }

            Assert.Fail("a returned block was never handed out again");
        }
        finally
        {
            seen.ForEach(b => b.Dispose());
        }
    }

    [Fact]
    public void TransportOptions_GiveKestrelThisPool_AndTheReadBound()
    {
        var options = HttpMemoryPool.TransportOptions();
        var factory = typeof(Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketConnectionFactoryOptions)
            .GetProperty("MemoryPoolFactory", BindingFlags.Instance | BindingFlags.NonPublic)!
            .GetValue(options);
        Assert.Same(HttpMemoryPool.Instance, factory);
        Assert.Same(HttpMemoryPool.Instance, ((IMemoryPoolFactory<byte>)factory!).Create(new MemoryPoolOptions()));
        Assert.Equal(HttpMemoryPool.MaxReadBufferSize, options.MaxReadBufferSize);
        Assert.Equal(HttpMemoryPool.MaxWriteBufferSize, options.MaxWriteBufferSize);
    }
}
