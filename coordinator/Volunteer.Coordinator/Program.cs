using Volunteer.Coordinator.Hosting;

// appsettings.json is found beside the executable, wherever the coordinator is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddServiceDefaults();
builder.AddCoordinator();

var app = builder.Build();
app.MapCoordinator();
app.Run();

/// <summary>Entry point, visible to functional tests.</summary>
public partial class Program;
