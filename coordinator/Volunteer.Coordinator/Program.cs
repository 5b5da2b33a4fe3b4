using Volunteer.Coordinator.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddCoordinator();

var app = builder.Build();
app.MapCoordinator();
app.Run();

/// <summary>Entry point, visible to functional tests.</summary>
public partial class Program;
