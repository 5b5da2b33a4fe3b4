using Volunteer.Worker.Commands;

return await CommandLine.InvokeAsync(args, Console.Out, Console.Error);
