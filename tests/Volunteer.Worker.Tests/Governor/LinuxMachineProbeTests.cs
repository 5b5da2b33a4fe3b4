using System.Buffers.Binary;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Volunteer.Worker.Governor.Machine;

namespace Volunteer.Worker.Tests.Governor;

/// <summary>The Linux probe on sample files laid out as under / (a scratch folder stands for the root).</summary>
public sealed class LinuxMachineProbeTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 10, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _root = new();
    private readonly FakeTimeProvider _time = new(Now);

    [Fact]
    public void Input_idleness_is_since_the_latest_access_of_a_logged_in_users_terminal_or_an_input_device()
    {
        Device("dev/input/event0", accessed: Now.AddMinutes(-50));
        Device("dev/input/event3", accessed: Now.AddMinutes(-5));
        Device("dev/input/mice", accessed: Now.AddMinutes(-20));
        // A joystick and a terminal nobody is logged in on count for nothing.
        Device("dev/input/js0", accessed: Now.AddSeconds(-1));
        Device("dev/pts/9", accessed: Now.AddSeconds(-1));
        Device("dev/pts/3", accessed: Now.AddMinutes(-7));
        Utmp(("pts/3", UserProcess: true), ("tty1", UserProcess: false));
        var probe = Probe();

        Assert.Equal(TimeSpan.FromMinutes(5), probe.InputIdle());

        // A session systemd-logind knows of counts too (systems without utmp keep only these).
        Device("dev/tty2", accessed: Now.AddSeconds(-30));
        Session("4", "TTY=tty2", "TYPE=tty");

        Assert.Equal(TimeSpan.FromSeconds(30), probe.InputIdle());
    }

    [Fact]
    public void With_a_graphical_session_input_idleness_is_unknown_as_only_its_display_server_knows_it()
    {
        Device("dev/pts/3", accessed: Now.AddMinutes(-7));
        Device("dev/tty2", accessed: Now.AddHours(-3));
        Utmp(("pts/3", UserProcess: true));
        var probe = Probe();
        Assert.Equal(TimeSpan.FromMinutes(7), probe.InputIdle());

        Session("2", "TTY=tty2", "TYPE=wayland");
        Assert.Null(probe.InputIdle());

        // An X display in utmp, on a system without logind.
        Directory.Delete(Path.Combine(_root.Path, "run/systemd"), recursive: true);
        Utmp(("pts/3", UserProcess: true), (":0", UserProcess: true));
        Assert.Null(probe.InputIdle());
    }

    [Fact]
    public void Without_a_login_on_a_terminal_input_idleness_is_unknown_whatever_the_input_devices_say()
    {
        Device("dev/input/event0", accessed: Now.AddHours(-9));
        Utmp(("tty1", UserProcess: false));

        Assert.Null(Probe().InputIdle());
    }

    [Fact]
    public void Utmp_gives_the_logins_of_user_processes_only()
    {
        var utmp = UtmpBytes(("pts/0", true), ("tty1", false), ("pts/12", true), (":0", true));

        Assert.Equal([new Login("pts/0", false), new Login("pts/12", false), new Login(":0", true)], LinuxMachineFiles.UtmpLogins(utmp));
        // A truncated last entry is passed over.
        Assert.Equal([new Login("pts/0", false)], LinuxMachineFiles.UtmpLogins(utmp.AsSpan(0, 384 + 100)));
    }

    [Theory]
    [InlineData("UID=1000\nTTY=pts/2\nTYPE=tty\n", "pts/2", false)]
    [InlineData("UID=1000\nTTY=tty2\nTYPE=wayland\n", "tty2", true)]
    [InlineData("UID=1000\nTYPE=x11\n", "", true)]
    [InlineData("UID=1000\nSERVICE=crond\nTYPE=unspecified\n", null, false)]
    public void A_logind_session_gives_its_terminal_and_whether_it_is_graphical(string session, string? tty, bool graphical)
    {
        Assert.Equal(tty is null ? null : new Login(tty, graphical), LinuxMachineFiles.Session(session));
    }

    [Theory]
    [InlineData("pts/0", "pts/0")]
    [InlineData("tty1", "tty1")]
    [InlineData(":0", null)]
    [InlineData("../etc/passwd", null)]
    [InlineData("/etc/passwd", null)]
    [InlineData("", null)]
    public void Only_plain_device_names_are_taken_for_terminals(string line, string? terminal)
    {
        Assert.Equal(terminal, LinuxMachineFiles.Terminal(line));
    }

    [Fact]
    public void A_character_devices_access_time_is_read_from_its_inode()
    {
        // stat(1) is the independent witness: the access time of /dev/null, a character device as the input devices are.
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", "-c %X /dev/null") { RedirectStandardOutput = true })!;
        var seconds = long.Parse(stat.StandardOutput.ReadToEnd().Trim(), System.Globalization.CultureInfo.InvariantCulture);
        stat.WaitForExit();

        var accessed = LinuxMachineProbe.LastAccess("/dev/null");

        Assert.NotNull(accessed);
        Assert.Equal(seconds, new DateTimeOffset(accessed.Value, TimeSpan.Zero).ToUnixTimeSeconds());
        Assert.Null(LinuxMachineProbe.LastAccess(Path.Combine(_root.Path, "dev/input/event9")));
    }

    [Fact]
    public void The_machines_cpu_time_is_read_from_proc_stat()
    {
        const string stat = "cpu  5590957 214678 483431 2539458 21850 0 34368 41570 0 0\ncpu0 2795478 107339 241715 1269729 10925 0 17184 20785 0 0\nintr 1 2 3\n";

        // Busy: user + nice + system + irq + softirq + steal; total adds idle and iowait.
        var busy = 5590957L + 214678 + 483431 + 0 + 34368 + 41570;
        Assert.Equal((busy, busy + 2539458 + 21850), LinuxMachineFiles.MachineCpu(stat));
        Assert.Null(LinuxMachineFiles.MachineCpu("intr 1 2 3\n"));
        Assert.Null(LinuxMachineFiles.MachineCpu("cpu  1 2 x 4\n"));
    }

    [Fact]
    public void A_processs_cpu_time_is_read_past_its_name_whatever_the_name_holds()
    {
        const string stat = "30572 (volunteer (w) 1) S 30566 30566 20462 0 -1 4194304 103 0 0 0 250 31 0 0 20 0 9 0 4480546 3133440 389";

        Assert.Equal(281, LinuxMachineFiles.ProcessCpu(stat));
        Assert.Null(LinuxMachineFiles.ProcessCpu("30572 (cat) R 1 2"));
        Assert.Null(LinuxMachineFiles.ProcessCpu(""));
    }

    [Fact]
    public void Other_programs_load_is_the_machines_busy_time_less_the_agents_own_over_the_window()
    {
        var probe = Probe();
        Stats(busy: 1000, idle: 1000, own: 100);

        Assert.Null(probe.OtherCpuLoad());

        // 400 ticks passed over all cores; 400 busy, of which 200 were the agent's own.
        _time.Advance(TimeSpan.FromSeconds(1));
        Stats(busy: 1400, idle: 1000, own: 300);
        Assert.Equal(50, probe.OtherCpuLoad());

        // Averaged over the last five seconds: the quiet second after the busy one halves the figure.
        _time.Advance(TimeSpan.FromSeconds(1));
        Stats(busy: 1400, idle: 1400, own: 300);
        Assert.Equal(25, probe.OtherCpuLoad());
    }

    [Fact]
    public void After_a_long_time_unasked_the_load_starts_afresh_rather_than_average_over_the_gap()
    {
        var probe = Probe();
        Stats(busy: 1000, idle: 1000, own: 0);
        probe.OtherCpuLoad();
        _time.Advance(TimeSpan.FromSeconds(1));
        Stats(busy: 1100, idle: 1000, own: 0);
        Assert.Equal(100, probe.OtherCpuLoad());

        _time.Advance(TimeSpan.FromMinutes(1));
        Stats(busy: 1100, idle: 7000, own: 0);
        Assert.Null(probe.OtherCpuLoad());

        _time.Advance(TimeSpan.FromSeconds(1));
        Stats(busy: 1180, idle: 7020, own: 0);
        Assert.Equal(80, probe.OtherCpuLoad());
    }

    [Fact]
    public void A_laptop_unplugged_is_on_battery()
    {
        Supply("AC", ("type", "Mains"), ("online", "0"));
        Supply("BAT0", ("type", "Battery"), ("present", "1"), ("status", "Not charging"));

        Assert.True(Probe().OnBattery());
    }

    [Fact]
    public void A_desktop_without_a_battery_is_not_on_battery_and_a_machine_without_supplies_cannot_tell()
    {
        Assert.Null(Probe().OnBattery());

        Supply("AC", ("type", "Mains"), ("online", "1"));
        Assert.False(Probe().OnBattery());
    }

    [Theory]
    // A discharging battery is on battery even on a charger too weak to carry the machine.
    [InlineData(true, "Mains:1", "Battery:System:1:Discharging")]
    [InlineData(false, "Mains:1", "Battery:System:1:Charging")]
    // Several USB-C supplies, one of them online.
    [InlineData(false, "USB:0", "USB_C:1", "Battery:System:1:Full")]
    [InlineData(true, "USB:0", "USB_C:0", "Battery:System:1:Unknown")]
    // A wireless mouse's battery (scope Device) is not the machine's.
    [InlineData(false, "Mains:1", "Battery:Device:1:Discharging")]
    [InlineData(false, "Mains:0", "Battery:Device:1:Discharging")]
    // A battery bay that is empty.
    [InlineData(false, "Mains:0", "Battery:System:0:Unknown")]
    public void Power_supplies_tell_whether_the_machine_is_on_battery(bool onBattery, params string[] supplies)
    {
        var parsed = supplies.Select(s => s.Split(':') switch
        {
            [var type, var online] => new PowerSupply(type, null, online, null, null),
            [var type, var scope, var present, var status] => new PowerSupply(type, scope, null, present, status),
            _ => throw new ArgumentException(s),
        }).ToList();

        Assert.Equal(onBattery, LinuxMachineFiles.OnBattery(parsed));
    }

    public void Dispose() => _root.Dispose();

    private LinuxMachineProbe Probe() => new(_root.Path, _time);

    private string Folder(string relative) => Directory.CreateDirectory(Path.Combine(_root.Path, relative)).FullName;

    private void Device(string relative, DateTimeOffset accessed)
    {
        var path = Path.Combine(_root.Path, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, []);
        File.SetLastAccessTimeUtc(path, accessed.UtcDateTime);
    }

    private void Session(string id, params string[] fields) =>
        File.WriteAllText(Path.Combine(Folder("run/systemd/sessions"), id), $"# This is private data. Do not parse.\nUID=1000\nUSER=owner\n{string.Join("\n", fields)}\n");

    private void Utmp(params (string Line, bool UserProcess)[] entries) =>
        File.WriteAllBytes(Path.Combine(Folder("run"), "utmp"), UtmpBytes(entries));

    /// <summary>glibc's struct utmp entries (384 bytes): ut_type at 0, ut_pid at 4, ut_line at 8, ut_user at 44.</summary>
    private static byte[] UtmpBytes(params (string Line, bool UserProcess)[] entries)
    {
        var bytes = new byte[384 * entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = bytes.AsSpan(384 * i, 384);
            BinaryPrimitives.WriteInt16LittleEndian(entry, (short)(entries[i].UserProcess ? 7 : 6));
            BinaryPrimitives.WriteInt32LittleEndian(entry[4..], 1000 + i);
            Encoding.ASCII.GetBytes(entries[i].Line).CopyTo(entry[8..]);
            Encoding.ASCII.GetBytes("owner").CopyTo(entry[44..]);
        }
        return bytes;
    }

    private void Stats(long busy, long idle, long own)
    {
        File.WriteAllText(Path.Combine(Folder("proc"), "stat"), $"cpu  {busy} 0 0 {idle} 0 0 0 0 0 0\nintr 0\n");
        File.WriteAllText(Path.Combine(Folder("proc/self"), "stat"), $"42 (volunteer-worker) S 1 42 42 0 -1 0 0 0 0 0 {own} 0 0 0 20 0 9 0 1 1 1");
    }

    private void Supply(string name, params (string File, string Content)[] files)
    {
        var folder = Folder(Path.Combine("sys/class/power_supply", name));
        foreach (var (file, content) in files)
        {
            File.WriteAllText(Path.Combine(folder, file), content + "\n");
        }
    }
}
