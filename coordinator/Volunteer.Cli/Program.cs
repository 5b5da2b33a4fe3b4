using Volunteer.Cli.Commands;

return await VolunteerCommandLine.InvokeAsync(args, Terminal.FromConsole());
