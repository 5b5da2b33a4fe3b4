using Microsoft.Extensions.Options;
using Volunteer.Worker.Governor;

namespace Volunteer.Worker.Agent;

/// <summary>The owner's limits read from configuration, section "Worker" like the rest of the settings.</summary>
public static class ComputeLimitsBinding
{
    /// <summary>
    /// Binds the section and validates it as ValidateDataAnnotations would. Throws OptionsValidationException naming
    /// every limit that is wrong, or not of its type.
    /// </summary>
    public static ComputeLimits From(IConfiguration configuration)
    {
        var limits = new ComputeLimits();
        try
        {
            configuration.GetSection(WorkerOptions.Section).Bind(limits);
        }
        catch (InvalidOperationException ex)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(ComputeLimits), [ex.Message]);
        }
        var validation = new DataAnnotationValidateOptions<ComputeLimits>(Options.DefaultName).Validate(Options.DefaultName, limits);
        return validation.Failed
            ? throw new OptionsValidationException(Options.DefaultName, typeof(ComputeLimits), validation.Failures)
            : limits;
    }
}
