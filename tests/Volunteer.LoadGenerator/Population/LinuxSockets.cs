using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Volunteer.LoadGenerator.Population;

/// <summary>
/// The few Linux system calls the population's sync loop makes, called directly: a non-blocking TCP socket from a given
/// source address, and epoll to wait on many at once. The generator shares the cores with the silo it measures, and
/// .NET's sockets hand every completion from the epoll thread to a thread-pool thread (a futex wake each: 16 futex calls of
/// 34 system calls per sync, strace -c); here one thread does it all, in about 9 system calls per sync.
/// Linux on x86-64 only (the layout of epoll_event and the numbers below are that ABI's).
/// </summary>
internal static partial class LinuxSockets
{
    public const int EAGAIN = 11, EINTR = 4, EINPROGRESS = 115;
    public const uint EPOLLIN = 0x001, EPOLLOUT = 0x004, EPOLLERR = 0x008, EPOLLHUP = 0x010;
    private const int AF_INET = 2, SOCK_STREAM = 1, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    private const int IPPROTO_TCP = 6, TCP_NODELAY = 1, SOL_SOCKET = 1, SO_ERROR = 4;
    private const int EPOLL_CTL_ADD = 1, EPOLL_CTL_MOD = 3, EPOLL_CLOEXEC = 0x80000;

    /// <summary>struct epoll_event as x86-64 lays it out: packed, 12 bytes.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    /// <summary>struct sockaddr_in: port and address in network order.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct SocketAddress
    {
        public ushort Family;
        public ushort Port;
        public uint Address;
        public ulong Zero;

        public static SocketAddress Of(IPAddress address, int port)
        {
            Span<byte> bytes = stackalloc byte[4];
            address.TryWriteBytes(bytes, out _);
            return new SocketAddress
            {
                Family = AF_INET,
                Port = (ushort)IPAddress.HostToNetworkOrder((short)port),
                Address = MemoryMarshal.Read<uint>(bytes),
            };
        }
    }

    public static void EnsureSupported()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            throw new PlatformNotSupportedException("The population's sync loop calls Linux's sockets and epoll directly, as laid out on x86-64.");
        }
    }

    public static int CreateEpoll() => Check(epoll_create1(EPOLL_CLOEXEC));

    /// <summary>
    /// A non-blocking socket bound to <paramref name="source"/>, its connect to <paramref name="server"/> begun and watched
    /// for writability by <paramref name="epoll"/> with the socket itself as the event's data. Its descriptor, or the errno
    /// that failed it (negated; the socket closed).
    /// </summary>
    public static int BeginConnect(int epoll, IPAddress source, IPEndPoint server)
    {
        var socket = socket_(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
        if (socket < 0)
        {
            return -Marshal.GetLastPInvokeError();
        }
        var on = 1;
        var local = SocketAddress.Of(source, 0);
        var remote = SocketAddress.Of(server.Address, server.Port);
        var size = Marshal.SizeOf<SocketAddress>();
        var ready = new EpollEvent { Events = EPOLLOUT, Data = (ulong)socket };
        if (setsockopt(socket, IPPROTO_TCP, TCP_NODELAY, ref on, sizeof(int)) < 0
            || bind(socket, ref local, size) < 0
            || (connect(socket, ref remote, size) < 0 && Marshal.GetLastPInvokeError() != EINPROGRESS)
            || epoll_ctl(epoll, EPOLL_CTL_ADD, socket, ref ready) < 0)
        {
            var error = Marshal.GetLastPInvokeError();
            close(socket);
            return -error;
        }
        return socket;
    }

    /// <summary>The error a connect ended with (SO_ERROR), 0 when connected.</summary>
    public static int ConnectError(int socket)
    {
        var error = 0;
        var length = sizeof(int);
        return getsockopt(socket, SOL_SOCKET, SO_ERROR, ref error, ref length) < 0 ? Marshal.GetLastPInvokeError() : error;
    }

    /// <summary>Watches the socket for reading instead of writing.</summary>
    public static int WatchForReading(int epoll, int socket)
    {
        var readable = new EpollEvent { Events = EPOLLIN, Data = (ulong)socket };
        return epoll_ctl(epoll, EPOLL_CTL_MOD, socket, ref readable) < 0 ? Marshal.GetLastPInvokeError() : 0;
    }

    /// <summary>Bytes sent, or the errno (negated).</summary>
    public static unsafe int Send(int socket, ReadOnlySpan<byte> bytes)
    {
        fixed (byte* pointer = bytes)
        {
            var sent = send(socket, pointer, bytes.Length, 0);
            return sent < 0 ? -Marshal.GetLastPInvokeError() : (int)sent;
        }
    }

    /// <summary>Bytes received (0 at the end of the stream), or the errno (negated).</summary>
    public static unsafe int Receive(int socket, Span<byte> bytes)
    {
        fixed (byte* pointer = bytes)
        {
            var read = recv(socket, pointer, bytes.Length, 0);
            return read < 0 ? -Marshal.GetLastPInvokeError() : (int)read;
        }
    }

    /// <summary>Events ready within <paramref name="timeoutMilliseconds"/>: how many were written.</summary>
    public static unsafe int Wait(int epoll, Span<EpollEvent> events, int timeoutMilliseconds)
    {
        fixed (EpollEvent* pointer = events)
        {
            var ready = epoll_wait(epoll, pointer, events.Length, timeoutMilliseconds);
            if (ready < 0 && Marshal.GetLastPInvokeError() == EINTR)
            {
                return 0;
            }
            return Check(ready);
        }
    }

    public static void Close(int descriptor) => close(descriptor);

    /// <summary>The name the figures give an errno, as .NET's SocketError names it where they agree.</summary>
    public static string ErrorName(int errno) => errno switch
    {
        111 => nameof(SocketError.ConnectionRefused),
        104 => nameof(SocketError.ConnectionReset),
        110 => "timeout",
        113 => nameof(SocketError.HostUnreachable),
        99 => nameof(SocketError.AddressNotAvailable),
        24 or 23 => nameof(SocketError.TooManyOpenSockets),
        _ => $"errno {errno}",
    };

    private static int Check(int result) =>
        result >= 0 ? result : throw new SocketException(Marshal.GetLastPInvokeError());

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int socket_(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setsockopt(int socket, int level, int name, ref int value, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getsockopt(int socket, int level, int name, ref int value, ref int length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int bind(int socket, ref SocketAddress address, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int connect(int socket, ref SocketAddress address, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint send(int socket, byte* buffer, nint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint recv(int socket, byte* buffer, nint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int descriptor);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_ctl(int epoll, int operation, int descriptor, ref EpollEvent ready);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int epoll_wait(int epoll, EpollEvent* events, int max, int timeoutMilliseconds);
}
