using Gateway.Api;
using Gateway.Express;
using Gateway.Identity;
using Gateway.Payments;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.Notifications;

/// <summary>The documents' form: <c>recipient</c> (a mobile number or e-mail address), <c>type</c> and <c>transactionID</c>.</summary>
public sealed record ReceiptForm(string Recipient, string Type,
    [property: System.Text.Json.Serialization.JsonPropertyName("transactionID")] long TransactionId);

public sealed record ReceiptResult(bool Result);

/// <summary>
/// The documents' Receipts: an SMS or e-mail receipt of a successful transaction, through the notifications queue.
/// With an <c>Idempotency-Key</c> a retry (say, after a timeout) replays the answer instead of sending again.
/// </summary>
[Tags("Notifications")]
public sealed class ReceiptsApi(PaymentStore payments, NotificationQueue queue, Idempotency idempotency)
{
    [Function(nameof(ReceiptSend)), Authorize(Policy = Policies.PaymentUser)]
    [EndpointSummary("Send a receipt of a successful transaction by SMS or e-mail (type Sms or Email), with the " +
        "organisation's receipt templates.")]
    [AcceptsForm(typeof(ReceiptForm)), AcceptsIdempotencyKey, ProducesResponseType<ReceiptResult>(200)]
    [ApiErrors(400, 401, 403, 404, 409, 413, 415, 422)]
    public async Task<IResult> ReceiptSend(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/notification/send")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var form = await RequestForm.ReadAsync(request);
        var organisation = request.Caller().RequireOrganisation();
        var receipt = await ReadAsync(form.Root, organisation.Id, cancellationToken);
        return await idempotency.RunAsync(request.HttpContext, organisation.Id, form, async scope =>
        {
            await queue.EnqueueAsync(receipt, cancellationToken);
            var response = StoredResponse.Ok(new ReceiptResult(true));
            // After the send: a completion lost here only lets a retry send the receipt again (at least once).
            if (scope.Complete(response) is { } completion) await payments.CommitAsync([completion], CancellationToken.None);
            return response;
        }, CancellationToken.None);
    }

    /// <summary>The request, checked: a successful transaction of the caller's organisation and a recipient for the type.</summary>
    private async Task<ReceiptNotice> ReadAsync(FormSection form, long organisationId, CancellationToken cancellationToken)
    {
        var channel = form.Text("type", 8)?.ToLowerInvariant() switch
        {
            "sms" => ExpressChannels.Sms,
            "email" => ExpressChannels.Email,
            null => throw ApiException.BadRequest(form.FieldName("type"), "is required: Sms or Email."),
            _ => throw ApiException.BadRequest(form.FieldName("type"), "must be Sms or Email."),
        };
        var recipient = channel == ExpressChannels.Sms
            ? Recipients.MobileNumber(form, "recipient")
            : Recipients.Email(form, "recipient");
        var id = form.TextOrNumber("transactionID", 20)
            ?? throw ApiException.BadRequest(form.FieldName("transactionID"), "is required.");
        var transaction = await payments.GetAsync(organisationId, Ids.ParseOrNotFound(id, "Transaction"), cancellationToken)
            ?? throw PaymentService.TransactionNotFound();
        if (!transaction.Successful)
        {
            throw ApiException.Conflict(
                $"Transaction {transaction.Id} is {transaction.Status}: only a successful payment has a receipt.");
        }
        return new ReceiptNotice(organisationId, transaction.Id, channel, recipient);
    }
}
