namespace Gateway.HostedPages;

/// <summary>
/// <c>/css/eftx.css</c>, which the documents' bootstrap snippet links next to the merchant's own Bootstrap 3: the
/// loader it shows while a step is sent, its <c>.eft.modal</c> shown in the page rather than as an overlay (the
/// plugin fills it in place), and the form's error state. Modest on purpose: the merchant's styles lead.
/// </summary>
public static class EftxStyle
{
    public const string Css = """
        .hide { display: none !important; }

        .eft.modal { display: block; position: relative; top: auto; right: auto; bottom: auto; left: auto;
          z-index: auto; overflow: visible; }
        .eft.modal .modal-dialog { margin: 1.5rem auto; max-width: 40rem; }

        .eftx-loader { padding: 1rem 0; text-align: center; }
        .eftx-loader .container { width: auto; max-width: 100%; }
        .loader { display: inline-flex; align-items: center; gap: 0.4rem; }
        .loader--dot { width: 0.6rem; height: 0.6rem; border-radius: 50%; background: #337ab7;
          animation: eftx-pulse 1.2s infinite ease-in-out; }
        .loader--dot:nth-child(2) { animation-delay: 0.1s; }
        .loader--dot:nth-child(3) { animation-delay: 0.2s; }
        .loader--dot:nth-child(4) { animation-delay: 0.3s; }
        .loader--dot:nth-child(5) { animation-delay: 0.4s; }
        .loader--dot:nth-child(6) { animation-delay: 0.5s; }
        .loader--text { margin-left: 0.5rem; color: #555; }
        .loader--text::after { content: "Loading"; }
        @keyframes eftx-pulse {
          0%, 80%, 100% { opacity: 0.25; transform: scale(0.75); }
          40% { opacity: 1; transform: scale(1); }
        }
        @media (prefers-reduced-motion: reduce) { .loader--dot { animation: none; } }

        .eftx-error { margin-bottom: 1rem; padding: 0.75rem 1rem; border: 1px solid #ebccd1; border-radius: 4px;
          color: #a94442; background: #f2dede; }
        #eftx-form .has-error .form-control { border-color: #a94442; }
        #eftx-form .has-error label { color: #a94442; }
        #eftx-form dl dd { margin-bottom: 0.5rem; }
        """;
}
