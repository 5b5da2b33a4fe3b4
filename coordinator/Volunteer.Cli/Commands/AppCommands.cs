using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Volunteer.Client;
using Volunteer.Protocol;

namespace Volunteer.Cli.Commands;

/// <summary>`apps register|list|show`: the project's WebAssembly apps, each version immutable and signed by the coordinator.</summary>
public static class AppCommands
{
    private const string Bitwise = "bitwise";
    private const string Tolerance = "tolerance";

    public static Command Build(Session session) => new("apps", "Register WebAssembly apps and list the registered ones.")
    {
        Register(session), List(session), Show(session),
    };

    private static Command Register(Session session)
    {
        var name = new Option<string>("--name") { Description = "the app's name: 1 to 64 letters, digits, '-' or '_'", HelpName = "NAME", Required = true };
        var version = new Option<string>("--version") { Description = "this version: 1 to 32 letters, digits, '.', '-' or '_' (e.g. 1.0.0); never reused", HelpName = "VERSION", Required = true };
        var module = new Option<string>("--module") { Description = "the compute module (.wasm), uploaded as a blob first", HelpName = "FILE", Required = true };
        var reducer = new Option<string>("--reducer") { Description = "a reducer module (.wasm) that folds unit results into the job's result; without it the result is the list of unit results", HelpName = "FILE" };
        var comparator = new Option<string>("--comparator") { Description = "how two results of a unit are compared (default bitwise)", HelpName = $"{Bitwise}|{Tolerance}" };
        comparator.AcceptOnlyFromAmong(Bitwise, Tolerance);
        var absolute = new Option<double?>("--absolute") { Description = "tolerance: the absolute difference allowed between two float64s", HelpName = "X" };
        var relative = new Option<double?>("--relative") { Description = "tolerance: the difference allowed relative to the larger magnitude", HelpName = "X" };
        var perUnit = new Option<double?>("--credit-per-unit") { Description = "credit for each validated unit (default 1)", HelpName = "X" };
        var perMillionFuel = new Option<double?>("--credit-per-million-fuel") { Description = "credit per million units of fuel a validated unit burned, instead", HelpName = "X" };
        var memory = new Option<long?>("--memory") { Description = $"the most linear memory a unit may use, a multiple of 65536 (default {AppLimits.Default.MemoryBytes})", HelpName = "BYTES" };
        var fuel = new Option<long?>("--fuel") { Description = $"the most fuel one unit may burn (default {AppLimits.Default.FuelPerUnit})", HelpName = "N" };
        var json = new Option<bool>("--json") { Description = "print the registered version as JSON" };
        var command = new Command("register", """
            Register a version of a WebAssembly app: uploads the module (and reducer) as blobs, registers them, and
            prints the version with the coordinator's signature, which every volunteer checks before running it.
            The coordinator refuses a module that does not compile, lacks the ABI or imports anything else (exit 1).

            Examples:
              volunteer apps register --name primes-wasm --version 1.0.0 --module primes.wasm
              volunteer apps register --name integral --version 2.1 --module integral.wasm \
                --comparator tolerance --absolute 1e-12 --relative 1e-9 --credit-per-million-fuel 0.5 --fuel 5000000000
            """)
        {
            name, version, module, reducer, comparator, absolute, relative, perUnit, perMillionFuel, memory, fuel, json,
        };
        command.Validators.Add(register =>
        {
            var tolerance = register.GetValue(comparator) == Tolerance;
            if (!tolerance && (register.GetValue(absolute) is not null || register.GetValue(relative) is not null))
            {
                register.AddError("--absolute and --relative go with --comparator tolerance.");
            }
            if (register.GetValue(perUnit) is not null && register.GetValue(perMillionFuel) is not null)
            {
                register.AddError("Give --credit-per-unit or --credit-per-million-fuel, not both.");
            }
        });
        command.SetAction((result, cancellationToken) => session.RunAsync(result, async client =>
        {
            var terminal = session.Terminal;
            // Files first: a missing one is found before anything is uploaded.
            var modulePath = result.GetValue(module)!;
            var reducerPath = result.GetValue(reducer);
            foreach (var path in new[] { modulePath, reducerPath }.OfType<string>().Where(p => !File.Exists(p)))
            {
                throw new FileNotFoundException($"There is no module file {path}.", path);
            }
            var moduleBlob = await BlobCommands.UploadAsync(terminal, client, modulePath, cancellationToken);
            var reducerBlob = reducerPath is null ? null : await BlobCommands.UploadAsync(terminal, client, reducerPath, cancellationToken);
            var registration = new AppRegistration(
                result.GetValue(name)!,
                result.GetValue(version)!,
                moduleBlob.Digest,
                result.GetValue(comparator) is { } kind
                    ? new AppComparator(kind == Tolerance ? ComparatorKind.Tolerance : ComparatorKind.Bitwise, result.GetValue(absolute) ?? 0, result.GetValue(relative) ?? 0)
                    : null,
                result.GetValue(perUnit) is { } unit ? new AppCredit(PerUnit: unit)
                    : result.GetValue(perMillionFuel) is { } rate ? new AppCredit(PerMillionFuel: rate)
                    : null,
                result.GetValue(memory) is null && result.GetValue(fuel) is null
                    ? null
                    : new AppLimits(result.GetValue(memory) ?? AppLimits.Default.MemoryBytes, result.GetValue(fuel) ?? AppLimits.Default.FuelPerUnit),
                reducerBlob?.Digest);
            var registered = await client.RegisterAppAsync(registration, cancellationToken);
            if (result.GetValue(json))
            {
                terminal.Output.WriteLine(JsonSerializer.Serialize(registered, ClientJson.Indented));
            }
            else
            {
                terminal.Output.WriteLine($"Registered {registered.Reference}");
                WriteVersion(registered, terminal.Output);
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command List(Session session)
    {
        var json = new Option<bool>("--json") { Description = "print the versions as JSON" };
        var command = new Command("list", """
            List the registered app versions (built-in apps such as primes and mandelbrot are not listed).

            Example:
              volunteer apps list
            """)
        {
            json,
        };
        command.SetAction((result, cancellationToken) => session.RunAsync(result, async client =>
        {
            WriteVersions(session.Terminal, await client.ListAppsAsync(cancellationToken), result.GetValue(json));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Show(Session session)
    {
        var app = new Argument<string>("APP") { Description = "an app's name (its versions) or name@version (that version)" };
        var json = new Option<bool>("--json") { Description = "print it as JSON" };
        var command = new Command("show", """
            Show an app's registered versions, or one version with its module digest, limits and signature.

            Examples:
              volunteer apps show primes-wasm
              volunteer apps show primes-wasm@1.0.0
            """)
        {
            app, json,
        };
        command.SetAction((result, cancellationToken) => session.RunAsync(result, async client =>
        {
            var (name, version) = AppReference.Parse(result.GetValue(app)!);
            if (version is null)
            {
                WriteVersions(session.Terminal, await client.GetAppAsync(name, cancellationToken), result.GetValue(json));
                return ExitCodes.Ok;
            }
            var view = await client.GetAppVersionAsync(name, version, cancellationToken);
            if (result.GetValue(json))
            {
                session.Terminal.Output.WriteLine(JsonSerializer.Serialize(view, ClientJson.Indented));
            }
            else
            {
                session.Terminal.Output.WriteLine(view.Reference);
                WriteVersion(view, session.Terminal.Output);
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void WriteVersions(Terminal terminal, IReadOnlyList<AppVersionView> versions, bool json)
    {
        if (json)
        {
            terminal.Output.WriteLine(JsonSerializer.Serialize(versions, ClientJson.Indented));
            return;
        }
        var table = Tables.Create(terminal, "APP", "COMPARATOR", "CREDIT", "MEMORY", "FUEL/UNIT", "MODULE", "REGISTERED");
        foreach (var version in versions)
        {
            table.AddRow(
                Markup.Escape(version.Reference), Comparator(version.Comparator), Markup.Escape(Credit(version.Credit)),
                version.Limits.MemoryBytes.ToString(CultureInfo.InvariantCulture), version.Limits.FuelPerUnit.ToString(CultureInfo.InvariantCulture),
                string.Create(CultureInfo.InvariantCulture, $"{version.ModuleSize} B"), Tables.Time(version.RegisteredAt));
        }
        terminal.Out.Write(table);
    }

    /// <summary>One version's details, a line each.</summary>
    private static void WriteVersion(AppVersionView version, TextWriter output)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"module:     {version.Module} ({version.ModuleSize} bytes)"));
        if (version.Reducer is { } reducer)
        {
            output.WriteLine($"reducer:    {reducer}");
        }
        output.WriteLine($"comparator: {Comparator(version.Comparator)}");
        output.WriteLine($"credit:     {Credit(version.Credit)}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"limits:     memory {version.Limits.MemoryBytes} bytes, fuel {version.Limits.FuelPerUnit} per unit"));
        output.WriteLine($"registered: {Tables.Time(version.RegisteredAt)}");
        output.WriteLine($"signature:  {version.Signature}");
    }

    private static string Comparator(AppComparator comparator) => comparator.Kind == ComparatorKind.Tolerance
        ? string.Create(CultureInfo.InvariantCulture, $"tolerance (absolute {comparator.Absolute:R}, relative {comparator.Relative:R})")
        : Bitwise;

    private static string Credit(AppCredit credit) =>
        credit.PerMillionFuel is { } rate ? string.Create(CultureInfo.InvariantCulture, $"{rate:R} per million fuel")
        : string.Create(CultureInfo.InvariantCulture, $"{credit.PerUnit ?? 1:R} per unit");
}
