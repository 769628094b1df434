namespace Gateway.HostedPages;

/// <summary>
/// <c>/ext/checkout/v3/checkout.js</c>, the checkout widget merchants include with
/// <c>&lt;script src=".../ext/checkout/v3/checkout.js" id="og-checkout" data-origin="{origin}"&gt;</c>. Plain
/// JavaScript (no jQuery, which the documents' snippet only uses for its own click handler): <c>eftSec.checkout.init</c>
/// opens the hosted page in a full-screen frame and leaves for the merchant URL that the gateway's last page in the
/// frame posts back, accepting it only from the gateway's origin and that frame, and only as an http(s) URL.
/// </summary>
public static class CheckoutScript
{
    public const string Source = """
        (function () {
          'use strict';
          var script = document.currentScript;
          var current = null;

          function gatewayOrigin() {
            var tag = document.getElementById('og-checkout');
            var source = (tag && tag.dataset && tag.dataset.origin) || (script && script.src) || '';
            try {
              return new URL(source, window.location.href).origin;
            } catch (e) {
              return '';
            }
          }

          function close() {
            if (!current) return;
            window.removeEventListener('message', current.listener);
            if (current.overlay.parentNode) current.overlay.parentNode.removeChild(current.overlay);
            current = null;
          }

          function truthy(value) {
            return value === true || String(value) === '1' || String(value) === 'true';
          }

          function style(element, rules) {
            for (var name in rules) element.style[name] = rules[name];
          }

          function init(options) {
            options = options || {};
            if (!options.paymentKey) throw new Error('eftSec.checkout.init: paymentKey is required');
            close();
            var origin = gatewayOrigin();
            var url = new URL(options.paymentType === 'credit_card' ? '/card' : '/eft', origin);
            url.searchParams.set('payment_key', String(options.paymentKey));
            url.searchParams.set('checkout', '1');
            // cardOptions.rememberCard (default 0) offers "Remember this card"; rememberCardDefaultValue ticks it.
            var card = options.cardOptions || {};
            if (!truthy(card.rememberCard)) {
              url.searchParams.set('remember_card', 'off');
            } else if (truthy(card.rememberCardDefaultValue)) {
              url.searchParams.set('remember_card', '1');
            }

            var overlay = document.createElement('div');
            overlay.id = 'eftsec-checkout';
            overlay.setAttribute('role', 'dialog');
            overlay.setAttribute('aria-modal', 'true');
            overlay.setAttribute('aria-label', 'Payment');
            style(overlay, { position: 'fixed', top: '0', left: '0', width: '100%', height: '100%', zIndex: '2147483647',
              background: 'rgba(15, 23, 42, 0.6)', display: 'flex', alignItems: 'center', justifyContent: 'center' });

            var frame = document.createElement('iframe');
            frame.title = 'Payment';
            frame.src = url.toString();
            style(frame, { width: '100%', maxWidth: '32rem', height: '100%', maxHeight: '44rem', border: '0',
              borderRadius: '0.75rem', background: '#fff' });

            var button = document.createElement('button');
            button.type = 'button';
            button.textContent = '\u00d7';
            button.setAttribute('aria-label', 'Close payment');
            style(button, { position: 'absolute', top: '0.5rem', right: '0.75rem', font: '2rem/1 sans-serif', color: '#fff',
              background: 'transparent', border: '0', cursor: 'pointer' });
            button.addEventListener('click', close);

            var loaded = false;
            frame.addEventListener('load', function () {
              if (loaded) return;
              loaded = true;
              if (typeof options.onLoad === 'function') options.onLoad();
            });

            var listener = function (event) {
              if (event.origin !== origin || event.source !== frame.contentWindow) return;
              var data = event.data;
              if (!data || data.type !== 'eftsec.checkout.complete' || typeof data.url !== 'string') return;
              var target;
              try {
                target = new URL(data.url);
              } catch (e) {
                return;
              }
              if (target.protocol !== 'https:' && target.protocol !== 'http:') return;
              window.location.assign(target.toString());
            };
            window.addEventListener('message', listener);

            overlay.appendChild(frame);
            overlay.appendChild(button);
            document.body.appendChild(overlay);
            current = { overlay: overlay, listener: listener };
          }

          window.eftSec = window.eftSec || {};
          window.eftSec.checkout = { init: init, close: close };
        })();
        """;

    public static IResult Serve(HttpResponse response) => StaticAsset.Serve(response, Source, StaticAsset.JavaScript);
}
