using Gateway.Api;
using Gateway.Express;
using Gateway.Identity;
using Gateway.Payments;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Gateway.Notifications;

/// <summary>The documents' form: <c>recipient</c> (a mobile number or e-mail address), <c>type</c> and <c>transactionID</c>.</summary>
public sealed record ReceiptForm(string Recipient, string Type,
    [property: System.Text.Json.Serialization.JsonPropertyName("transactionID")] long TransactionId);

public sealed record ReceiptResult(bool Result);

/// <summary>The documents' Receipts: an SMS or e-mail receipt of a successful transaction, through the notifications queue.</summary>
[Tags("Notifications")]
public sealed class ReceiptsApi(PaymentStore payments, NotificationQueue queue)
{
    [Function(nameof(ReceiptSend)), Authorize(Policy = Policies.PaymentUser)]
    [EndpointSummary("Send a receipt of a successful transaction by SMS or e-mail (type Sms or Email), with the " +
        "organisation's receipt templates.")]
    [AcceptsForm(typeof(ReceiptForm)), ApiErrors(400, 401, 403, 404, 409, 413, 415)]
    public async Task<Ok<ReceiptResult>> ReceiptSend(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/notification/send")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var form = (await RequestForm.ReadAsync(request)).Root;
        var organisation = request.Caller().RequireOrganisation();
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
        var id = form.TextOrNumber("transactionID", 20) ?? throw ApiException.BadRequest(form.FieldName("transactionID"), "is required.");
        var transaction = await payments.GetAsync(organisation.Id, Ids.ParseOrNotFound(id, "Transaction"), cancellationToken)
            ?? throw PaymentService.TransactionNotFound();
        if (!transaction.Successful)
        {
            throw ApiException.Conflict($"Transaction {transaction.Id} is {transaction.Status}: only a successful payment has a receipt.");
        }
        await queue.EnqueueAsync(new ReceiptNotice(organisation.Id, transaction.Id, channel, recipient), cancellationToken);
        return TypedResults.Ok(new ReceiptResult(true));
    }
}
