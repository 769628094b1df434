namespace Gateway.HostedPages;

/// <summary>
/// <c>/js/eft-secure.min.js</c>, the self-hosted EFT plugin of the documents' snippets: <c>new Eftx({key, ...})</c>
/// fills the merchant's own form, headings and button container with each step the API (<see cref="EftxApi"/>)
/// answers, and at the end sends the page to <c>onCompleteUrl</c>/<c>onCancelUrl</c> or the key's merchant URL.
/// Plain JavaScript: the documents' snippets call it from jQuery's ready handler, but it needs no jQuery. Everything
/// from the server goes in as text (createElement, textContent), never as markup, and only http(s) URLs are followed.
/// </summary>
public static class EftxScript
{
    public const string Source = """
        (function () {
          'use strict';
          // The gateway this file came from: the API's default address (baseUrl overrides it, e.g. white-labelled).
          var loadedFrom = (document.currentScript && document.currentScript.src) || '';

          function originOf(url) {
            try {
              return new URL(url, window.location.href).origin;
            } catch (e) {
              return '';
            }
          }

          function webUrl(url) {
            try {
              var parsed = new URL(String(url), window.location.href);
              return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed : null;
            } catch (e) {
              return null;
            }
          }

          function element(tag, properties, text) {
            var node = document.createElement(tag);
            for (var name in properties) {
              if (properties[name] !== null && properties[name] !== undefined) node.setAttribute(name, properties[name]);
            }
            if (text !== undefined) node.textContent = text;
            return node;
          }

          function empty(node) {
            while (node && node.firstChild) node.removeChild(node.firstChild);
          }

          function Eftx(options) {
            if (!(this instanceof Eftx)) return new Eftx(options);
            options = options || {};
            if (!options.key) throw new Error('Eftx: key is required');
            this.options = options;
            this.key = String(options.key);
            this.baseUrl = String(options.baseUrl || originOf(loadedFrom)).replace(/\/+$/, '');
            this.formId = options.formId || 'eftx-form';
            this.titleId = options.titleId || 'eftx-title';
            this.subTitleId = options.subTitleId || 'eftx-subtitle';
            this.bootstrap = options.cssFramework === 'bootstrap';
            this.step = null; // the last answer: what the next post carries back
            this.busy = false;
            var form = this.form();
            if (form && form.tagName === 'FORM') {
              var self = this;
              // Enter in a field continues; the page itself never posts anywhere.
              form.addEventListener('submit', function (event) {
                event.preventDefault();
                self.send('continue');
              });
            }
            this.request('GET', '/api/eftx?payment_key=' + encodeURIComponent(this.key), null);
          }

          Eftx.prototype.form = function () {
            return document.getElementById(this.formId);
          };

          Eftx.prototype.call = function (name) {
            if (typeof this.options[name] === 'function') this.options[name].call(this);
          };

          Eftx.prototype.request = function (method, path, body) {
            if (this.busy) return;
            this.busy = true;
            this.call('onLoadStart');
            var self = this;
            var init = { method: method, mode: 'cors', credentials: 'omit', cache: 'no-store' };
            if (body) init.body = body;
            fetch(this.baseUrl + path, init)
              .then(function (response) {
                return response.json().then(function (data) {
                  return { ok: response.ok, status: response.status, data: data || {} };
                });
              })
              .then(null, function () {
                return null; // unreachable, or an answer that is not the API's JSON
              })
              .then(function (answer) {
                self.busy = false;
                try {
                  if (!answer) {
                    self.problem('The payment service could not be reached. Please try again.', !self.step);
                  } else if (answer.ok) {
                    self.render(answer.data);
                  } else {
                    var message = typeof answer.data.message === 'string' && answer.data.message;
                    // A 400 is input to correct on the form shown; anything else ends the payment here.
                    self.problem(message || 'The payment could not continue.', answer.status !== 400 || !self.step);
                  }
                } finally {
                  self.call('onLoadStop');
                }
              });
          };

          // Posts the current step as a form (a simple request: no preflight) with the payer's input.
          Eftx.prototype.send = function (action) {
            var step = this.step;
            if (!step || step.step === 'done') return;
            var fields = new URLSearchParams();
            fields.set('payment_key', this.key);
            fields.set('step', step.step);
            fields.set('form_token', step.form_token);
            fields.set('action', action);
            var form = this.form();
            var bank = step.bank || '';
            if (step.step === 'bank') bank = this.value(form, 'bank');
            if (bank) fields.set('bank', bank);
            if (step.step === 'login') {
              fields.set('account', this.value(form, 'account'));
              fields.set('password', this.value(form, 'password'));
            } else if (step.account) {
              fields.set('account', step.account);
            }
            this.request('POST', '/api/eftx', fields);
          };

          Eftx.prototype.value = function (form, name) {
            var field = form && form.querySelector('[name="' + name + '"]');
            return field ? field.value : '';
          };

          Eftx.prototype.text = function (id, text) {
            var node = document.getElementById(id);
            if (node) node.textContent = text;
          };

          Eftx.prototype.render = function (step) {
            this.step = step;
            this.text(this.titleId, step.title);
            this.text(this.subTitleId, step.subtitle);
            var form = this.form();
            empty(form);
            var container = this.options.buttonContainerId && document.getElementById(this.options.buttonContainerId);
            empty(container);
            if (step.step === 'done') {
              this.finish(step.outcome);
              return;
            }
            if (!form) return;
            if (step.step === 'bank') {
              var select = element('select', { id: 'eftx-bank', name: 'bank' });
              select.appendChild(element('option', { value: '' }, 'Choose your bank'));
              for (var i = 0; i < step.banks.length; i++) {
                var option = element('option', { value: step.banks[i] }, step.banks[i]);
                if (step.banks[i] === step.bank) option.selected = true;
                select.appendChild(option);
              }
              form.appendChild(this.field('Your bank', select));
              this.buttons(container || form, 'Continue');
            } else if (step.step === 'login') {
              form.appendChild(this.field('Account number',
                element('input', { type: 'text', id: 'eftx-account', name: 'account', inputmode: 'numeric',
                  autocomplete: 'off' })));
              form.appendChild(this.field('Internet banking password',
                element('input', { type: 'password', id: 'eftx-password', name: 'password', autocomplete: 'off' })));
              form.appendChild(element('p', { 'class': this.bootstrap ? 'help-block' : null },
                'This is a simulated bank: your password is not kept.'));
              this.buttons(container || form, 'Sign in');
            } else {
              var summary = element('dl', { 'class': this.bootstrap ? 'dl-horizontal' : null });
              var rows = [['Pay to', step.pay_to], ['From', step.bank + ' account ending ' + step.account.slice(-4)],
                ['Amount', step.amount], ['Reference', step.reference]];
              for (var r = 0; r < rows.length; r++) {
                summary.appendChild(element('dt', {}, rows[r][0]));
                summary.appendChild(element('dd', {}, rows[r][1]));
              }
              form.appendChild(summary);
              this.buttons(container || form, 'Pay ' + step.amount);
            }
          };

          Eftx.prototype.field = function (label, control) {
            var group = element('div', { 'class': this.bootstrap ? 'form-group' : null });
            if (this.bootstrap) control.className = 'form-control';
            group.appendChild(element('label', { 'for': control.id }, label));
            group.appendChild(control);
            return group;
          };

          Eftx.prototype.buttons = function (parent, label) {
            var self = this;
            var holder = parent === this.form() ? element('div', { 'class': 'eftx-buttons' }) : parent;
            var go = element('button', { type: 'button', 'class': this.bootstrap ? 'btn btn-primary' : null }, label);
            var cancel = element('button', { type: 'button', 'class': this.bootstrap ? 'btn btn-default' : null }, 'Cancel');
            go.addEventListener('click', function () { self.send('continue'); });
            cancel.addEventListener('click', function () { self.send('cancel'); });
            holder.appendChild(go);
            holder.appendChild(document.createTextNode(' '));
            holder.appendChild(cancel);
            if (holder !== parent) parent.appendChild(holder);
          };

          // A refusal: shown above the form, which stays for the payer to correct; or, when the payment cannot go on
          // (unknown, expired or paid key), in place of the form.
          Eftx.prototype.problem = function (message, final) {
            var form = this.form();
            if (final) {
              this.step = null;
              this.text(this.titleId, 'Payment not possible');
              this.text(this.subTitleId, '');
              empty(form);
              var container = this.options.buttonContainerId && document.getElementById(this.options.buttonContainerId);
              empty(container);
            }
            if (!form) return;
            var old = form.querySelector('.eftx-error');
            if (old) old.parentNode.removeChild(old);
            var kind = this.bootstrap ? 'eftx-error alert alert-danger' : 'eftx-error';
            var alert = element('div', { role: 'alert', 'class': kind }, message);
            form.insertBefore(alert, form.firstChild);
            var groups = form.querySelectorAll('.form-group');
            for (var i = 0; i < groups.length; i++) groups[i].classList.add('has-error');
          };

          // The end: the merchant's own URL for it when given (with the outcome added, as the key's URLs get it),
          // else the key's URL the API chose. Only http(s): never a javascript: or data: URL.
          Eftx.prototype.finish = function (outcome) {
            var given = outcome.cancelled ? this.options.onCancelUrl : this.options.onCompleteUrl;
            var chosen = given ? webUrl(given) : null;
            if (chosen) {
              chosen.searchParams.set('payment_key', this.key);
              chosen.searchParams.set('transaction_id', String(outcome.transaction_id));
              chosen.searchParams.set('status', outcome.status);
            }
            var target = chosen || webUrl(outcome.redirect_url);
            if (target) window.location.assign(target.toString());
          };

          window.Eftx = Eftx;
        })();
        """;
}
